/**
 * Invariants of the local store that must hold after anything: SQLite's own
 * integrity check, rows whose timestamps agree with their status, and audit
 * rows that only ever record moves the status machine allows.
 */
import { createHash } from "node:crypto";
import type Database from "better-sqlite3";
import { TRANSITIONS } from "../../../src/domain/status-machine.js";
import { STATUSES } from "../../../src/api/schemas.js";

type Db = Database.Database;

export function integrityCheck(db: Db): string {
  return (db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check).join("; ");
}

/** SHA-256 over every intervention row: equal digests mean nothing changed. */
export function interventionsDigest(db: Db): string {
  const hash = createHash("sha256");
  for (const row of db.prepare("SELECT * FROM interventions ORDER BY seq").iterate()) hash.update(JSON.stringify(row));
  return hash.digest("hex");
}

interface Row {
  id: string;
  status: string;
  approved_at: string | null;
  sent_at: string | null;
  delivered_at: string | null;
  rolled_back_at: string | null;
  reject_reason: string | null;
  flagged: number;
  flag_reason: string | null;
  review_flag_reason: string | null;
}

const EVER_APPROVED = new Set(["approved", "sent", "delivered", "rolled_back"]);
const EVER_SENT = new Set(["sent", "delivered", "rolled_back"]);

/** Each rule that a row breaks, as `id: rule`; empty when every row is legal. */
export function illegalRows(db: Db): string[] {
  const problems: string[] = [];
  for (const row of db.prepare("SELECT * FROM interventions").iterate() as Iterable<Row>) {
    const bad = (rule: string) => problems.push(`${row.id} (${row.status}): ${rule}`);
    if (!(STATUSES as readonly string[]).includes(row.status)) bad("unknown status");
    if (EVER_APPROVED.has(row.status) && !row.approved_at) bad("approved_at missing");
    if (["planned", "paused"].includes(row.status) && row.sent_at) bad("sent_at set before sending");
    if (row.status === "planned" && (row.approved_at || row.delivered_at || row.rolled_back_at)) bad("planned row with later timestamps");
    if (EVER_SENT.has(row.status) && !row.sent_at) bad("sent_at missing");
    if (row.status === "delivered" && !row.delivered_at) bad("delivered_at missing");
    if (row.status === "rolled_back" && !row.rolled_back_at) bad("rolled_back_at missing");
    if (row.status !== "rolled_back" && row.rolled_back_at) bad("rolled_back_at set but not rolled back");
    if (row.status === "rejected" && !row.reject_reason) bad("reject_reason missing");
    if (row.flagged === 1 && !row.flag_reason && !row.review_flag_reason) bad("flag_reason missing");
  }
  return problems;
}

/** Moves only the dispatcher makes (domain.md "dispatch (system)"). */
const DISPATCH_MOVES = new Set(["approved>sent", "approved>suppressed", "sent>delivered", "sent>failed"]);

function allowed(from: string, to: string, event: string): boolean {
  if (event === "flagged") return from === to || (from === "approved" && to === "paused");
  if (DISPATCH_MOVES.has(`${from}>${to}`)) return true;
  return Object.values(TRANSITIONS).some((rule) => rule.to === to && (rule.from as readonly string[]).includes(from));
}

export interface Move {
  seq: number;
  event: string;
  intervention_id: string;
  from: string;
  to: string;
}

/** Every status-changing audit row as a move, in order. */
export function auditedMoves(db: Db): Move[] {
  const rows = db
    .prepare("SELECT seq, event, intervention_id, detail FROM audit_log WHERE intervention_id IS NOT NULL ORDER BY seq")
    .all() as { seq: number; event: string; intervention_id: string; detail: string }[];
  const moves: Move[] = [];
  for (const row of rows) {
    const detail = JSON.parse(row.detail) as { from?: string; to?: string };
    if (detail.from === undefined) continue; // created, guard events
    const to = detail.to ?? row.event;
    if (row.event !== "flagged" && !(STATUSES as readonly string[]).includes(row.event)) continue;
    moves.push({ seq: row.seq, event: row.event, intervention_id: row.intervention_id, from: detail.from, to });
  }
  return moves;
}

/**
 * Replays each intervention's audited moves: every move must be one the
 * status machine or the dispatcher allows, and must start where the previous
 * one ended (a skip or a double move from the same state breaks the chain).
 */
export function stateMachineViolations(db: Db): string[] {
  const problems: string[] = [];
  const last = new Map<string, string>();
  for (const move of auditedMoves(db)) {
    if (!allowed(move.from, move.to, move.event)) problems.push(`${move.intervention_id} #${move.seq}: ${move.from} → ${move.to} (${move.event}) is not a legal move`);
    const previous = last.get(move.intervention_id);
    if (previous !== undefined && previous !== move.from) {
      problems.push(`${move.intervention_id} #${move.seq}: starts from ${move.from} but the previous move ended in ${previous}`);
    }
    last.set(move.intervention_id, move.to);
  }
  return problems;
}
