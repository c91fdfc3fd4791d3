/**
 * Decisions per operator, and the quorum they make: the one place a human's
 * answer is recorded, whichever channel carried it and whatever vouched for
 * the operator (a passphrase, a login, a signed webhook, or nothing more than
 * an interactive terminal when no operators are configured). Run under the
 * request's own lock, so two operators deciding at once in two processes are
 * counted one after the other: exactly one of them sees the N-th approval and
 * moves the request to `approved`. The table's key refuses a second decision
 * by the same operator, so repeating oneself is never counted twice. The
 * release then spends the request in the transition's transaction, which
 * counts the approvals again (approvals.ts consumeApprovalRow).
 */
import type { Tx } from "../sql.js";
import { getApproval, isExpired, type ApprovalRow } from "./approvals.js";

export interface NewDecision {
  approvalId: string;
  /** The operator's name; without operators, the anonymous human's actor (human:cli, human:page, form:<client>). */
  operator: string;
  approved: boolean;
  /** What the request records as its answer: approve, deny, decline, deny_unverified, … */
  answer: string;
  /** Where it was given: cli, page, form, client, webhook. */
  channel: string;
  /** What proved the operator: passphrase, oidc:<issuer>, webhook-signature, terminal, … */
  vouchedBy: string;
  note: string | null;
  now: Date;
}

export type DecisionResult =
  /** This was the N-th distinct approval: the request is approved and ready to release. */
  | { kind: "approved"; row: ApprovalRow; approvers: string[] }
  /** Counted, but fewer than the tier needs. */
  | { kind: "counted"; row: ApprovalRow; approvers: string[] }
  /** A rejection: the request is denied. */
  | { kind: "denied"; row: ApprovalRow }
  /** This operator had already decided this request: nothing changed. */
  | { kind: "repeated"; row: ApprovalRow }
  /** The tier bars this operator (the requester's own): nothing changed. */
  | { kind: "excluded"; row: ApprovalRow }
  /** Not pending any more, expired, or unknown: nothing changed. */
  | { kind: "closed"; row: ApprovalRow | undefined };

/** The distinct operators who approved a request, in the order they did. */
export async function approversOf(tx: Tx, approvalId: string): Promise<string[]> {
  const rows = await tx.all<{ operator: string }>("SELECT operator FROM approval_decisions WHERE approval_id = ? AND answer = 'approve' ORDER BY at, operator", [approvalId]);
  return rows.map((row) => row.operator);
}

export interface DecisionRow {
  approval_id: string;
  operator: string;
  answer: "approve" | "reject";
  channel: string;
  vouched_by: string;
  note: string | null;
  at: string;
}

export function decisionsOf(tx: Tx, approvalId: string): Promise<DecisionRow[]> {
  return tx.all<DecisionRow>("SELECT * FROM approval_decisions WHERE approval_id = ? ORDER BY at, operator", [approvalId]);
}

export async function recordDecision(tx: Tx, decision: NewDecision): Promise<DecisionResult> {
  await tx.lock(`approval:${decision.approvalId}`);
  const row = await getApproval(tx, decision.approvalId);
  if (!row || row.status !== "pending" || isExpired(row, decision.now)) return { kind: "closed", row };
  if (row.excluded_operator !== null && row.excluded_operator === decision.operator) return { kind: "excluded", row };
  const at = decision.now.toISOString();
  const inserted = await tx.run(
    `INSERT INTO approval_decisions (approval_id, operator, answer, channel, vouched_by, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (approval_id, operator) DO NOTHING`,
    [row.id, decision.operator, decision.approved ? "approve" : "reject", decision.channel, decision.vouchedBy, decision.note, at],
  );
  if (inserted.changes === 0) return { kind: "repeated", row };
  if (!decision.approved) {
    await tx.run("UPDATE approvals SET status = 'denied', decided_at = ?, decided_by = ?, answer = ?, note = ? WHERE id = ? AND status = 'pending'", [
      at,
      decision.operator,
      decision.answer,
      decision.note,
      row.id,
    ]);
    return { kind: "denied", row: (await getApproval(tx, row.id))! };
  }
  const approvers = await approversOf(tx, row.id);
  if (approvers.length < row.required_approvals) return { kind: "counted", row, approvers };
  await tx.run("UPDATE approvals SET status = 'approved', decided_at = ?, decided_by = ?, answer = ?, note = ? WHERE id = ? AND status = 'pending'", [
    at,
    approvers.join(", "),
    decision.answer,
    decision.note,
    row.id,
  ]);
  return { kind: "approved", row: (await getApproval(tx, row.id))!, approvers };
}
