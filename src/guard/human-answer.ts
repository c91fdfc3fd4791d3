/**
 * Recording a human's answer to a request, wherever it was given (form, page,
 * CLI, or a refusal reported by the client): the passphrase check, the flag
 * acknowledgement, the guarded status change and its audit row, in one place
 * so every channel applies the same rules.
 */
import type { Db } from "../backend/local/store.js";
import { countFailedAttempt, decideApproval, factsOf, getApproval, isExpired, type ApprovalRow } from "./approvals-store.js";
import { auditGuard } from "./guard-audit.js";
import { attemptPassphrase, hasPassphrase } from "./passphrase.js";

/** Wrong passphrases tolerated on one request before it is denied outright. */
export const MAX_PASSPHRASE_ATTEMPTS = 5;

export interface HumanAnswer {
  approve: boolean;
  /**
   * form, page or cli; `client` when the MCP client itself reported a decline
   * or cancel (of a URL elicitation) and no human answer reached this server.
   */
  via: "form" | "page" | "cli" | "client";
  /** With `via: "client"`: the client's name, recorded as the actor. */
  clientName?: string;
  answer: string;
  note?: string | null;
  acknowledgedFlag?: boolean;
  /** Required on page and CLI when an operator passphrase is set; a form never carries one. */
  passphrase?: string;
}

export type AnswerOutcome =
  | { ok: true; row: ApprovalRow }
  | { ok: false; reason: "not_found" | "not_pending" | "expired" | "flag_not_acknowledged" | "passphrase_required" | "wrong_passphrase" | "passphrase_locked" | "passphrase_throttled"; message: string };

export async function answerApproval(db: Db, approvalId: string, answer: HumanAnswer, now = new Date()): Promise<AnswerOutcome> {
  const row = getApproval(db, approvalId);
  if (!row) return { ok: false, reason: "not_found", message: `No approval request ${approvalId}.` };
  if (row.status !== "pending") {
    return { ok: false, reason: "not_pending", message: `Approval request ${approvalId} is already ${row.status}; nothing changed.` };
  }
  if (isExpired(row, now)) {
    return { ok: false, reason: "expired", message: `Approval request ${approvalId} expired at ${row.expires_at}; ask the agent to try again.` };
  }
  if (answer.via === "client" && answer.approve) throw new Error("a client-reported answer can only refuse");
  const actor = answer.via === "client" ? `client:${answer.clientName ?? "unknown"}` : `human:${answer.via}`;
  if (answer.approve) {
    const refusal = await approvalPrecondition(db, row, answer, now);
    if (refusal) {
      const { ok: _ok, reason, message, ...throttle } = refusal;
      auditGuard(db, { event: "approval_refused", actor, approval: row, detail: { via: answer.via, reason, ...throttle } });
      if (refusal.reason === "wrong_passphrase" && countFailedAttempt(db, row.id) >= MAX_PASSPHRASE_ATTEMPTS) {
        decideApproval(db, row.id, { approved: false, by: actor, answer: "passphrase_locked", note: null, now });
        auditGuard(db, { event: "approval_answered", actor: "system:guard", approval: row, detail: { answer: "passphrase_locked" } });
        return { ok: false, reason: "passphrase_locked", message: "Too many wrong passphrases: this request is now denied." };
      }
      return { ok: false, reason, message };
    }
  }
  const note = answer.note?.trim() ? answer.note.trim().slice(0, 2000) : null;
  const decided = db
    .transaction(() => {
      if (!decideApproval(db, row.id, { approved: answer.approve, by: actor, answer: answer.answer, note, now })) return false;
      auditGuard(db, {
        event: "approval_answered",
        actor,
        approval: row,
        detail: { via: answer.via, answer: answer.answer, approved: answer.approve, note, acknowledged_flag: answer.acknowledgedFlag ?? false },
      });
      return true;
    })
    .immediate();
  if (!decided) return { ok: false, reason: "not_pending", message: `Approval request ${approvalId} was answered or expired meanwhile; nothing changed.` };
  return { ok: true, row: getApproval(db, row.id)! };
}

type Refusal = Extract<AnswerOutcome, { ok: false }> & { consecutive_failures?: number; locked_until?: string | null };

async function approvalPrecondition(db: Db, row: ApprovalRow, answer: HumanAnswer, now: Date): Promise<Refusal | undefined> {
  if (factsOf(row).facts.flagged && !answer.acknowledgedFlag) {
    return { ok: false, reason: "flag_not_acknowledged", message: "This intervention is flagged: acknowledge the flag to approve it." };
  }
  if (!hasPassphrase(db)) return undefined;
  // A form answer passes through the agent's client: it never counts once a passphrase exists.
  if (answer.via === "form" || answer.passphrase === undefined || answer.passphrase === "") {
    return { ok: false, reason: "passphrase_required", message: "The operator passphrase is required to approve." };
  }
  const attempt = await attemptPassphrase(db, answer.passphrase, now);
  if (attempt.ok) return undefined;
  if (attempt.reason === "locked") {
    return {
      ok: false,
      reason: "passphrase_throttled",
      message: `Too many wrong operator passphrases on this server: every passphrase attempt is refused until ${attempt.lockedUntil}. Nothing was approved; try again after that.`,
      locked_until: attempt.lockedUntil,
    };
  }
  const lockout = attempt.lockedUntil ? ` Too many wrong passphrases in a row: further attempts are refused until ${attempt.lockedUntil}.` : "";
  return {
    ok: false,
    reason: "wrong_passphrase",
    message: `Wrong passphrase; nothing was approved.${lockout}`,
    consecutive_failures: attempt.consecutive,
    locked_until: attempt.lockedUntil,
  };
}
