/**
 * The `approvals` table: creating a request, finding the one that matches a
 * call, recording the human's answer, and spending it. Every state change is a
 * guarded UPDATE on the expected prior state, so two writers (a server and a
 * CLI in another process, or two servers) can never both decide or both
 * spend one request.
 *
 * A request's life: pending → approved (a human said yes) → executed (spent in
 * the transition's own transaction), or denied, expired, void (the
 * intervention changed, or too many wrong passphrases), failed (spent, but
 * the upstream refused the transition).
 */
import { randomBytes } from "node:crypto";
import type { Db } from "../backend/local/store.js";
import type { ActionFacts, DisplayFacts } from "./action-hash.js";
import type { GuardedAction } from "./types.js";

export type ApprovalStatus = "pending" | "approved" | "executed" | "denied" | "expired" | "void" | "failed";

export interface ApprovalRow {
  id: string;
  tenant_id: string;
  action: GuardedAction;
  intervention_id: string;
  action_hash: string;
  facts: string;
  display: string;
  /** Who asked: 'local' (this store's own agents) or an HTTP credential's identity. */
  principal: string;
  client_name: string;
  client_version: string;
  /** local, api-live, api-test: whether the CLI can execute the action itself (local only). */
  backend_mode: string;
  channel: string;
  status: ApprovalStatus;
  failed_attempts: number;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  decided_by: string | null;
  answer: string | null;
  note: string | null;
  executed_at: string | null;
  /** What happened when it was executed, voided or failed: shown to the human and the agent. */
  outcome: string | null;
}

export interface NewApproval {
  tenantId: string;
  facts: ActionFacts;
  display: DisplayFacts;
  hash: string;
  principal: string;
  client: { name: string; version: string };
  backendMode: string;
  channel: string;
  now: Date;
  ttlMs: number;
}

export function insertApproval(db: Db, spec: NewApproval): ApprovalRow {
  const id = `apr_${randomBytes(12).toString("base64url")}`;
  db.prepare(
    `INSERT INTO approvals (id, tenant_id, action, intervention_id, action_hash, facts, display, principal,
       client_name, client_version, backend_mode, channel, status, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
  ).run(
    id,
    spec.tenantId,
    spec.facts.action,
    spec.facts.intervention_id,
    spec.hash,
    JSON.stringify(spec.facts),
    JSON.stringify(spec.display),
    spec.principal,
    spec.client.name,
    spec.client.version,
    spec.backendMode,
    spec.channel,
    spec.now.toISOString(),
    new Date(spec.now.getTime() + spec.ttlMs).toISOString(),
  );
  return getApproval(db, id)!;
}

export function getApproval(db: Db, id: string): ApprovalRow | undefined {
  return db.prepare("SELECT * FROM approvals WHERE id = ?").get(id) as ApprovalRow | undefined;
}

/** Every request of one principal for one intervention and action, newest first. */
export function requestsOf(db: Db, interventionId: string, action: GuardedAction, principal: string): ApprovalRow[] {
  return db
    .prepare("SELECT * FROM approvals WHERE intervention_id = ? AND action = ? AND principal = ? ORDER BY created_at DESC, rowid DESC LIMIT 50")
    .all(interventionId, action, principal) as ApprovalRow[];
}

/** The newest executed request for an intervention and action, by anyone: how it got where it is. */
export function lastExecuted(db: Db, interventionId: string, action: GuardedAction): ApprovalRow | undefined {
  return db
    .prepare("SELECT * FROM approvals WHERE intervention_id = ? AND action = ? AND status = 'executed' ORDER BY executed_at DESC LIMIT 1")
    .get(interventionId, action) as ApprovalRow | undefined;
}

export function isOpen(row: ApprovalRow): boolean {
  return row.status === "pending" || row.status === "approved";
}

export function listOpenApprovals(db: Db): ApprovalRow[] {
  return db.prepare("SELECT * FROM approvals WHERE status IN ('pending', 'approved') ORDER BY created_at").all() as ApprovalRow[];
}

/** Decided by a human, not yet executed, not expired: what any running server releases. */
export function listApprovedUnexecuted(db: Db, now: Date): ApprovalRow[] {
  return db
    .prepare("SELECT * FROM approvals WHERE status = 'approved' AND expires_at > ? ORDER BY decided_at LIMIT 50")
    .all(now.toISOString()) as ApprovalRow[];
}

export function isExpired(row: ApprovalRow, now: Date): boolean {
  return Date.parse(row.expires_at) <= now.getTime();
}

/** Closes an open request (expired, or void). True if this call closed it. */
export function closeApproval(db: Db, id: string, status: "expired" | "void", now: Date, outcome: string): boolean {
  return (
    db
      .prepare(
        `UPDATE approvals SET status = ?, outcome = ?, decided_at = COALESCE(decided_at, ?)
         WHERE id = ? AND status IN ('pending', 'approved')`,
      )
      .run(status, outcome, now.toISOString(), id).changes === 1
  );
}

export interface Answer {
  approved: boolean;
  /** Who answered: human:cli, human:page, human:form, client:<name> … */
  by: string;
  /** accept, decline, cancel, unconfirmed, … */
  answer: string;
  note: string | null;
  now: Date;
}

/** Records the human's answer on a pending, unexpired request. False if it was no longer open. */
export function decideApproval(db: Db, id: string, answer: Answer): boolean {
  return (
    db
      .prepare(
        `UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, answer = ?, note = ?
         WHERE id = ? AND status = 'pending' AND expires_at > ?`,
      )
      .run(
        answer.approved ? "approved" : "denied",
        answer.now.toISOString(),
        answer.by,
        answer.answer,
        answer.note,
        id,
        answer.now.toISOString(),
      ).changes === 1
  );
}

/** Spends an approval. Zero rows means replayed, expired or never approved. */
export function consumeApprovalRow(db: Db, id: string, now: Date): boolean {
  return (
    db
      .prepare(
        `UPDATE approvals SET status = 'executed', executed_at = ?
         WHERE id = ? AND status = 'approved' AND expires_at > ?`,
      )
      .run(now.toISOString(), id, now.toISOString()).changes === 1
  );
}

/** What a spent approval led to (the status reached, or why its execution failed). */
export function recordOutcome(db: Db, id: string, status: "executed" | "failed", outcome: string): void {
  db.prepare("UPDATE approvals SET status = ?, outcome = ? WHERE id = ? AND status = 'executed'").run(status, outcome, id);
}

export function countFailedAttempt(db: Db, id: string): number {
  db.prepare("UPDATE approvals SET failed_attempts = failed_attempts + 1 WHERE id = ?").run(id);
  return getApproval(db, id)?.failed_attempts ?? 0;
}

export function factsOf(row: ApprovalRow): { facts: ActionFacts; display: DisplayFacts } {
  return { facts: JSON.parse(row.facts) as ActionFacts, display: JSON.parse(row.display) as DisplayFacts };
}
