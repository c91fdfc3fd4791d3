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
import type { ActionFacts, DisplayFacts } from "../../domain/action-hash.js";
import type { GuardedAction } from "../../domain/status-machine.js";
import type { Tx } from "../sql.js";

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
  /** The backend it was made for: 'local' (the CLI can execute it itself), or the API mode and URL. */
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
  /** How many distinct operators must approve (the tier the policy gave it when it was made; at least 1). */
  required_approvals: number;
  /** The requester's own operator, when the tier bars them from deciding. */
  excluded_operator: string | null;
  /** The tier as JSON (ApprovalTier), for what humans and agents are shown. */
  tier: string | null;
  remind_at: string | null;
  reminded_at: string | null;
  escalate_at: string | null;
  escalated_at: string | null;
}

/** What the policy decided for a request when it was made (guard/policy.ts), stored with it. */
export interface ApprovalTier {
  /** The policy rule that matched, or null for the default. */
  rule: string | null;
  required: number;
  excludedOperator: string | null;
  remindAfterMs: number | null;
  escalateAfterMs: number | null;
}

export interface NewApproval {
  tenantId: string;
  facts: ActionFacts;
  display: DisplayFacts;
  hash: string;
  principal: string;
  client: { name: string; version: string };
  backendId: string;
  channel: string;
  now: Date;
  ttlMs: number;
  tier?: ApprovalTier;
}

const DEFAULT_TIER: ApprovalTier = { rule: null, required: 1, excludedOperator: null, remindAfterMs: null, escalateAfterMs: null };

function after(now: Date, ms: number | null): string | null {
  return ms === null ? null : new Date(now.getTime() + ms).toISOString();
}

export async function insertApproval(tx: Tx, spec: NewApproval): Promise<ApprovalRow> {
  const id = `apr_${randomBytes(12).toString("base64url")}`;
  const tier = spec.tier ?? DEFAULT_TIER;
  if (!Number.isInteger(tier.required) || tier.required < 1) throw new Error(`an approval needs at least one human, not ${tier.required}`);
  await tx.run(
    `INSERT INTO approvals (id, tenant_id, action, intervention_id, action_hash, facts, display, principal,
       client_name, client_version, backend_mode, channel, status, created_at, expires_at,
       required_approvals, excluded_operator, tier, remind_at, escalate_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
    [
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
    spec.backendId,
    spec.channel,
    spec.now.toISOString(),
    new Date(spec.now.getTime() + spec.ttlMs).toISOString(),
    tier.required,
    tier.excludedOperator,
    JSON.stringify(tier),
    after(spec.now, tier.remindAfterMs),
    after(spec.now, tier.escalateAfterMs),
    ],
  );
  return (await getApproval(tx, id))!;
}

export function getApproval(tx: Tx, id: string): Promise<ApprovalRow | undefined> {
  return tx.get<ApprovalRow>("SELECT * FROM approvals WHERE id = ?", [id]);
}

/** Every request of one principal for one intervention and action, newest first. */
export function requestsOf(tx: Tx, interventionId: string, action: GuardedAction, principal: string): Promise<ApprovalRow[]> {
  return tx.all<ApprovalRow>("SELECT * FROM approvals WHERE intervention_id = ? AND action = ? AND principal = ? ORDER BY created_at DESC, id DESC LIMIT 50", [
    interventionId,
    action,
    principal,
  ]);
}

/** The newest executed request for an intervention and action, by anyone: how it got where it is. */
export function lastExecuted(tx: Tx, interventionId: string, action: GuardedAction): Promise<ApprovalRow | undefined> {
  return tx.get<ApprovalRow>("SELECT * FROM approvals WHERE intervention_id = ? AND action = ? AND status = 'executed' ORDER BY executed_at DESC LIMIT 1", [
    interventionId,
    action,
  ]);
}

export function isOpen(row: ApprovalRow): boolean {
  return row.status === "pending" || row.status === "approved";
}

export function listOpenApprovals(tx: Tx): Promise<ApprovalRow[]> {
  return tx.all<ApprovalRow>("SELECT * FROM approvals WHERE status IN ('pending', 'approved') ORDER BY created_at");
}

/** Decided by a human, not yet executed, not expired, made for `backendId`: what a running server on it releases. */
export function listApprovedUnexecuted(tx: Tx, backendId: string, now: Date): Promise<ApprovalRow[]> {
  return tx.all<ApprovalRow>("SELECT * FROM approvals WHERE status = 'approved' AND backend_mode = ? AND expires_at > ? ORDER BY decided_at LIMIT 50", [
    backendId,
    now.toISOString(),
  ]);
}

export function isExpired(row: ApprovalRow, now: Date): boolean {
  return Date.parse(row.expires_at) <= now.getTime();
}

/** Closes an open request (expired, or void). True if this call closed it. */
export async function closeApproval(tx: Tx, id: string, status: "expired" | "void", now: Date, outcome: string): Promise<boolean> {
  const result = await tx.run(
    `UPDATE approvals SET status = ?, outcome = ?, decided_at = COALESCE(decided_at, ?)
     WHERE id = ? AND status IN ('pending', 'approved')`,
    [status, outcome, now.toISOString(), id],
  );
  return result.changes === 1;
}

/**
 * Spends an approval. Zero rows means replayed, expired, never approved, or
 * (whatever its status says) fewer distinct operators approved than its tier
 * needs: the quorum is counted again in the transaction that executes.
 */
export async function consumeApprovalRow(tx: Tx, id: string, now: Date): Promise<boolean> {
  const result = await tx.run(
    `UPDATE approvals SET status = 'executed', executed_at = ?
     WHERE id = ? AND status = 'approved' AND expires_at > ?
       AND required_approvals <= (SELECT COUNT(*) FROM approval_decisions d WHERE d.approval_id = approvals.id AND d.answer = 'approve')`,
    [now.toISOString(), id, now.toISOString()],
  );
  return result.changes === 1;
}

/** What a spent approval led to (the status reached, or why its execution failed). */
export async function recordOutcome(tx: Tx, id: string, status: "executed" | "failed", outcome: string): Promise<void> {
  await tx.run("UPDATE approvals SET status = ?, outcome = ? WHERE id = ? AND status = 'executed'", [status, outcome, id]);
}

export async function countFailedAttempt(tx: Tx, id: string): Promise<number> {
  await tx.run("UPDATE approvals SET failed_attempts = failed_attempts + 1 WHERE id = ?", [id]);
  return (await getApproval(tx, id))?.failed_attempts ?? 0;
}

export function factsOf(row: ApprovalRow): { facts: ActionFacts; display: DisplayFacts } {
  return { facts: JSON.parse(row.facts) as ActionFacts, display: JSON.parse(row.display) as DisplayFacts };
}
