/**
 * The append-only, hash-chained audit log. Each row's hash is SHA-256 over the
 * previous hash and the row's canonical content, so `verifyAuditChain` finds
 * any edited, inserted or deleted row.
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

/** Appends one event; call inside the transaction of the change it records. */
export function appendAudit(db: Db, event: AuditEvent, now = new Date()): void {
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
  prepared(db, 
    `INSERT INTO audit_log (at, tenant_id, event, intervention_id, actor, detail, prev_hash, hash)
     VALUES (@at, @tenant_id, @event, @intervention_id, @actor, @detail, @prev_hash, @hash)`,
  ).run({ ...row, prev_hash: prevHash, hash: rowHash(prevHash, row) });
}

export function auditTrail(db: Db, interventionId: string): AuditRow[] {
  return prepared(db, "SELECT * FROM audit_log WHERE intervention_id = ? ORDER BY seq")
    .all(interventionId) as AuditRow[];
}

export function recentAudit(db: Db, limit: number): AuditRow[] {
  return (prepared(db, "SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?").all(limit) as AuditRow[]).reverse();
}

export type ChainVerdict = { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; why: string };

export function verifyAuditChain(db: Db): ChainVerdict {
  let prevHash = GENESIS;
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
  }
  return { ok: true, rows };
}
