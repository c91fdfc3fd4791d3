/**
 * The append-only, hash-chained audit log. Each row's hash is SHA-256 over the
 * previous hash and the row's canonical content, so `verifyAuditChain` finds
 * any edited, inserted or deleted row. The chain's head (last seq and hash) is
 * kept in `audit_head`, moved in the same transaction as every append, so a
 * tail cut off the log is found too.
 *
 * Appends are serialised on the head: two processes, or two replicas on one
 * PostgreSQL store, appending at the same moment would otherwise both link to
 * the same previous row and fork the chain. SQLite's write transaction holds
 * the whole file; PostgreSQL links the row in the database itself
 * (Dialect.appendAudit: the head row locked FOR UPDATE, the same hash
 * computed there), in one round trip.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../../canonical.js";
import type { Tx } from "../sql.js";

export interface AuditEvent {
  tenant_id: string;
  event: string;
  intervention_id?: string | null;
  /** Who acted: 'agent:<client name>', 'human:cli', 'rest:<key label>', 'system:dispatcher' … */
  actor: string;
  detail?: Record<string, unknown>;
}

export interface AuditRow {
  seq: number;
  at: string;
  tenant_id: string;
  event: string;
  intervention_id: string | null;
  actor: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

const GENESIS = "0".repeat(64);

function rowHash(prevHash: string, row: Omit<AuditRow, "seq" | "prev_hash" | "hash">): string {
  return createHash("sha256")
    .update(prevHash)
    .update(canonicalJson([row.at, row.tenant_id, row.event, row.intervention_id, row.actor, row.detail]))
    .digest("hex");
}

/** Appends one event inside the caller's write transaction (the change it records). */
export async function appendAudit(tx: Tx, event: AuditEvent, now = new Date()): Promise<void> {
  const row = {
    at: now.toISOString(),
    tenant_id: event.tenant_id,
    event: event.event,
    intervention_id: event.intervention_id ?? null,
    actor: event.actor,
    detail: canonicalJson(event.detail ?? {}),
  };
  if (tx.dialect.appendAudit) {
    await tx.get(tx.dialect.appendAudit, [row.at, row.tenant_id, row.event, row.intervention_id, row.actor, row.detail]);
    return;
  }
  await tx.lock("audit_head");
  const head = await tx.get<{ hash: string }>("SELECT hash FROM audit_head WHERE id = 1");
  const prevHash = head?.hash ?? GENESIS;
  const hash = rowHash(prevHash, row);
  const inserted = await tx.get<{ seq: number }>(
    `INSERT INTO audit_log (at, tenant_id, event, intervention_id, actor, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
    [row.at, row.tenant_id, row.event, row.intervention_id, row.actor, row.detail, prevHash, hash],
  );
  await tx.run("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [inserted!.seq, hash]);
}

export function auditTrail(tx: Tx, interventionId: string): Promise<AuditRow[]> {
  return tx.all<AuditRow>("SELECT * FROM audit_log WHERE intervention_id = ? ORDER BY seq", [interventionId]);
}

export async function recentAudit(tx: Tx, limit: number): Promise<AuditRow[]> {
  return (await tx.all<AuditRow>("SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?", [limit])).reverse();
}

export type ChainVerdict = { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; why: string };

const PAGE = 1000;

/**
 * Walks the chain from the genesis hash, a page at a time, then checks that it
 * ends where `audit_head` says it does; run in one snapshot. The head catches
 * accidental and naive truncation (deleting the last rows needs dropping the
 * no-delete trigger first); someone who can rewrite the store at will can
 * rewrite the head as well, and only a copy of the head kept elsewhere would
 * catch that.
 */
export async function verifyAuditChain(tx: Tx): Promise<ChainVerdict> {
  let prevHash = GENESIS;
  let lastSeq = 0;
  let rows = 0;
  for (;;) {
    const page = await tx.all<AuditRow>("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", [lastSeq, PAGE]);
    for (const row of page) {
      rows++;
      if (row.prev_hash !== prevHash) {
        return { ok: false, rows, brokenAt: row.seq, why: "prev_hash does not match the previous row (a row was removed or inserted)" };
      }
      if (rowHash(prevHash, row) !== row.hash) {
        return { ok: false, rows, brokenAt: row.seq, why: "content does not match its hash (the row was edited)" };
      }
      prevHash = row.hash;
      lastSeq = row.seq;
    }
    if (page.length < PAGE) break;
  }
  const head = await tx.get<{ seq: number; hash: string }>("SELECT seq, hash FROM audit_head WHERE id = 1");
  if (!head) return { ok: false, rows, brokenAt: lastSeq, why: "the chain head record (audit_head) is missing" };
  if (head.seq !== lastSeq || head.hash !== prevHash) {
    const why =
      head.seq > lastSeq
        ? `the log ends at row ${lastSeq} but its head says row ${head.seq}: the last ${head.seq - lastSeq} row(s) were removed`
        : `the log's last row ${lastSeq} does not match its recorded head (row ${head.seq})`;
    return { ok: false, rows, brokenAt: head.seq < lastSeq ? head.seq + 1 : head.seq > lastSeq ? lastSeq + 1 : lastSeq, why };
  }
  return { ok: true, rows };
}
