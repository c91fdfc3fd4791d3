/**
 * The append-only, hash-chained audit log. Each row's hash is SHA-256 over the
 * previous hash and the row's canonical content, so `verifyAuditChain` finds
 * any edited, inserted or deleted row. The chain's head (last seq and hash) is
 * kept in `audit_head`, moved in the same transaction as every append, so a
 * tail cut off the log is found too.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../../canonical.js";
import { prepared, type Db } from "./store.js";

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

/**
 * Appends one event. Inside a transaction (the change it records) it is part of
 * that transaction; outside one it takes its own IMMEDIATE transaction, so the
 * read of the previous hash and the insert are one step even when another
 * process (the CLI beside the server) appends at the same moment: without it
 * both could link to the same previous row and fork the chain.
 */
export function appendAudit(db: Db, event: AuditEvent, now = new Date()): void {
  if (db.inTransaction) appendInTransaction(db, event, now);
  else db.transaction(() => appendInTransaction(db, event, now)).immediate();
}

function appendInTransaction(db: Db, event: AuditEvent, now: Date): void {
  const last = prepared(db, "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").get() as { hash: string } | undefined;
  const prevHash = last?.hash ?? GENESIS;
  const row = {
    at: now.toISOString(),
    tenant_id: event.tenant_id,
    event: event.event,
    intervention_id: event.intervention_id ?? null,
    actor: event.actor,
    detail: canonicalJson(event.detail ?? {}),
  };
  const hash = rowHash(prevHash, row);
  const { lastInsertRowid } = prepared(
    db,
    `INSERT INTO audit_log (at, tenant_id, event, intervention_id, actor, detail, prev_hash, hash)
     VALUES (@at, @tenant_id, @event, @intervention_id, @actor, @detail, @prev_hash, @hash)`,
  ).run({ ...row, prev_hash: prevHash, hash });
  prepared(db, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1").run(lastInsertRowid, hash);
}

export function auditTrail(db: Db, interventionId: string): AuditRow[] {
  return prepared(db, "SELECT * FROM audit_log WHERE intervention_id = ? ORDER BY seq")
    .all(interventionId) as AuditRow[];
}

export function recentAudit(db: Db, limit: number): AuditRow[] {
  return (prepared(db, "SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?").all(limit) as AuditRow[]).reverse();
}

export type ChainVerdict = { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; why: string };

/**
 * Walks the chain from the genesis hash, then checks that it ends where
 * `audit_head` says it does. The head catches accidental and naive truncation
 * (deleting the last rows needs dropping the no-delete trigger first); someone
 * who can rewrite the file at will can rewrite the head as well, and only a
 * copy of the head kept elsewhere would catch that.
 */
export function verifyAuditChain(db: Db): ChainVerdict {
  // One read transaction: the walk and the head come from the same snapshot.
  return db.transaction(() => walkChain(db))();
}

function walkChain(db: Db): ChainVerdict {
  let prevHash = GENESIS;
  let lastSeq = 0;
  let rows = 0;
  for (const row of prepared(db, "SELECT * FROM audit_log ORDER BY seq").iterate() as Iterable<AuditRow>) {
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
  const head = prepared(db, "SELECT seq, hash FROM audit_head WHERE id = 1").get() as { seq: number; hash: string } | undefined;
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
