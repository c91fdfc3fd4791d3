/**
 * The `approvals` table: creating a request, finding the one that matches a
 * call, recording the human's answer, and spending it. Every state change is a
 * guarded UPDATE on the expected prior state, so two writers (the server and a
 * CLI in another process) can never both decide or both consume one request.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../backend/local/store.js";
import type { ActionFacts, DisplayFacts } from "./action-hash.js";
import type { GuardedAction } from "./types.js";

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "void";

export interface ApprovalRow {
  id: string;
  tenant_id: string;
  action: GuardedAction;
  intervention_id: string;
  action_hash: string;
  facts: string;
  display: string;
  session_id: string;
  client_name: string;
  client_version: string;
  channel: string;
  status: ApprovalStatus;
  page_token_hash: string;
  failed_attempts: number;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  decided_by: string | null;
  answer: string | null;
  note: string | null;
  consumed_at: string | null;
}

export interface NewApproval {
  tenantId: string;
  facts: ActionFacts;
  display: DisplayFacts;
  hash: string;
  sessionId: string;
  client: { name: string; version: string };
  channel: string;
  now: Date;
  ttlMs: number;
}

export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Returns the row and the page token, which exists in clear only in this return value. */
export function insertApproval(db: Db, spec: NewApproval): { row: ApprovalRow; pageToken: string } {
  const id = `apr_${randomBytes(12).toString("base64url")}`;
  const pageToken = randomBytes(32).toString("base64url");
  db.prepare(
    `INSERT INTO approvals (id, tenant_id, action, intervention_id, action_hash, facts, display, session_id,
       client_name, client_version, channel, status, page_token_hash, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
  ).run(
    id,
    spec.tenantId,
    spec.facts.action,
    spec.facts.intervention_id,
    spec.hash,
    JSON.stringify(spec.facts),
    JSON.stringify(spec.display),
    spec.sessionId,
    spec.client.name,
    spec.client.version,
    spec.channel,
    tokenHash(pageToken),
    spec.now.toISOString(),
    new Date(spec.now.getTime() + spec.ttlMs).toISOString(),
  );
  return { row: getApproval(db, id)!, pageToken };
}

export function getApproval(db: Db, id: string): ApprovalRow | undefined {
  return db.prepare("SELECT * FROM approvals WHERE id = ?").get(id) as ApprovalRow | undefined;
}

/** Open (pending, or approved and unspent) requests of one session for one intervention and action. */
export function openApprovalsFor(db: Db, interventionId: string, action: GuardedAction, sessionId: string): ApprovalRow[] {
  return db
    .prepare(
      `SELECT * FROM approvals WHERE intervention_id = ? AND action = ? AND session_id = ?
         AND (status = 'pending' OR (status = 'approved' AND consumed_at IS NULL)) ORDER BY created_at DESC`,
    )
    .all(interventionId, action, sessionId) as ApprovalRow[];
}

export function listOpenApprovals(db: Db): ApprovalRow[] {
  return db
    .prepare(
      `SELECT * FROM approvals WHERE status = 'pending' OR (status = 'approved' AND consumed_at IS NULL)
       ORDER BY created_at`,
    )
    .all() as ApprovalRow[];
}

export function isExpired(row: ApprovalRow, now: Date): boolean {
  return Date.parse(row.expires_at) <= now.getTime();
}

/** Closes an open request (expired, or void because the intervention changed). True if this call closed it. */
export function closeApproval(db: Db, id: string, status: "expired" | "void", now: Date): boolean {
  return (
    db
      .prepare(
        `UPDATE approvals SET status = ?, decided_at = COALESCE(decided_at, ?)
         WHERE id = ? AND (status = 'pending' OR (status = 'approved' AND consumed_at IS NULL))`,
      )
      .run(status, now.toISOString(), id).changes === 1
  );
}

export interface Answer {
  approved: boolean;
  /** How the human answered: form, page, cli. */
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
        `UPDATE approvals SET consumed_at = ?
         WHERE id = ? AND status = 'approved' AND consumed_at IS NULL AND expires_at > ?`,
      )
      .run(now.toISOString(), id, now.toISOString()).changes === 1
  );
}

export function countFailedAttempt(db: Db, id: string): number {
  db.prepare("UPDATE approvals SET failed_attempts = failed_attempts + 1 WHERE id = ?").run(id);
  return getApproval(db, id)?.failed_attempts ?? 0;
}

export function factsOf(row: ApprovalRow): { facts: ActionFacts; display: DisplayFacts } {
  return { facts: JSON.parse(row.facts) as ActionFacts, display: JSON.parse(row.display) as DisplayFacts };
}

/** Issues a fresh one-time page token for an open request; the previous link stops working. */
export function rotatePageToken(db: Db, id: string): string {
  const pageToken = randomBytes(32).toString("base64url");
  db.prepare("UPDATE approvals SET page_token_hash = ? WHERE id = ?").run(tokenHash(pageToken), id);
  return pageToken;
}
