/**
 * Recording a human's answer to a request, wherever it was given (form, page,
 * CLI, or a refusal reported by the client): the passphrase check, the flag
 * acknowledgement, the guarded status change and its audit row, in one place
 * so every channel applies the same rules. Recording an approval does not
 * release anything by itself: the caller then hands the request to the
 * releaser (release.ts), which executes it.
 */
import { factsOf, isExpired, type ApprovalRow, type Store } from "../store/index.js";
import { auditGuard, auditRefusal, guardEvent } from "./guard-audit.js";
import { DEFAULT_OPERATOR } from "../domain/operator.js";
import type { Answer, AuditEvent } from "../store/index.js";
import { attemptPassphrase, hasPassphrase, passphraseInDatabase, type PassphraseChannel } from "./passphrase.js";

/** Wrong passphrases tolerated on one request before it is voided (the agent may then ask anew). */
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
  /** CLI only: whether it runs in an interactive terminal (a denial from a pipe proves no human). */
  interactive?: boolean;
}

export type AnswerRefusal =
  | "not_found"
  | "not_pending"
  | "expired"
  | "flag_not_acknowledged"
  | "passphrase_required"
  | "wrong_passphrase"
  | "too_many_wrong_passphrases"
  | "passphrase_throttled";

export type AnswerOutcome = { ok: true; row: ApprovalRow } | { ok: false; reason: AnswerRefusal; message: string; row?: ApprovalRow };

export async function answerApproval(store: Store, approvalId: string, answer: HumanAnswer, now = new Date()): Promise<AnswerOutcome> {
  const row = await store.approvals.get(approvalId);
  if (!row) return { ok: false, reason: "not_found", message: `No approval request ${approvalId}.` };
  if (row.status !== "pending") {
    return { ok: false, reason: "not_pending", message: `Approval request ${approvalId} is already ${row.status}; nothing changed.`, row };
  }
  if (isExpired(row, now)) {
    return { ok: false, reason: "expired", message: `Approval request ${approvalId} expired at ${row.expires_at}; ask the agent to try again.`, row };
  }
  if (answer.via === "client" && answer.approve) throw new Error("a client-reported answer can only refuse");
  let actor = actorOf(answer);
  let recorded = answer.answer;
  if (answer.approve) {
    const refusal = await approvalPrecondition(store, row, answer, now);
    if (refusal) return refuseAnswer(store, row, answer, refusal, now);
  } else if (answer.via !== "client" && !(await denialIsProven(store, answer.via, answer, now))) {
    // Recorded and the request closed, but not final: nobody proved to be the operator, so the
    // agent may ask again rather than be told a human refused.
    actor = `unverified:${answer.via}`;
    recorded = `${answer.answer}_unverified`;
  }
  const note = answer.note?.trim() ? answer.note.trim().slice(0, 2000) : null;
  const decision: Answer = { approved: answer.approve, by: actor, answer: recorded, note, now };
  const event = guardEvent({
    event: "approval_answered",
    actor,
    approval: row,
    detail: { via: answer.via, answer: recorded, approved: answer.approve, note, acknowledged_flag: answer.acknowledgedFlag ?? false },
  });
  const decided = answer.approve && (await passphraseInDatabase(store)) ? await approveInDatabase(store, row.id, answer.passphrase ?? "", decision, event) : await store.approvals.decide(row.id, decision, event);
  if (decided === "wrong_passphrase") {
    return { ok: false, reason: "wrong_passphrase", message: "Wrong passphrase (it changed meanwhile); nothing was approved.", row };
  }
  if (!decided) {
    return { ok: false, reason: "not_pending", message: `Approval request ${approvalId} was answered or expired meanwhile; nothing changed.`, row: await store.approvals.get(row.id) };
  }
  return { ok: true, row: (await store.approvals.get(row.id))! };
}

/**
 * The approval itself where the database holds the passphrase: it checks the
 * passphrase again and makes the request approved, the only way this
 * process's role may (the precondition above has throttled and checked it).
 */
async function approveInDatabase(store: Store, id: string, passphrase: string, decision: Answer, event: AuditEvent): Promise<boolean | "wrong_passphrase"> {
  const outcome = await store.databaseGuard!.approve(id, DEFAULT_OPERATOR, passphrase, decision, event);
  if (outcome === "approved") return true;
  return outcome === "not_open" ? false : "wrong_passphrase";
}

/**
 * Who answered, as far as this server can tell: a form's answer is whatever
 * the client reports, so it is recorded as that client's (`form:<client>`),
 * never as a verified human; page and CLI answers are the human's.
 */
function actorOf(answer: HumanAnswer): string {
  if (answer.via === "client") return `client:${answer.clientName ?? "unknown"}`;
  if (answer.via === "form") return `form:${answer.clientName ?? "unknown"}`;
  return `human:${answer.via}`;
}

/**
 * A denial is final for that version only when it carries the proof an
 * approval on the same channel would need: with an operator passphrase, the
 * passphrase; without one, the page's link or an interactive terminal (a
 * form's answer is the client's, trusted as its approvals are). Otherwise
 * anything that can reach the page or run the CLI could block a version.
 */
async function denialIsProven(store: Store, via: "form" | "page" | "cli", answer: HumanAnswer, now: Date): Promise<boolean> {
  if (!(await hasPassphrase(store))) return via !== "cli" || answer.interactive === true;
  if (via === "form" || !answer.passphrase) return false;
  return (await attemptPassphrase(store, answer.passphrase, via, now)).ok;
}

type Refusal = Extract<AnswerOutcome, { ok: false }> & { consecutive_failures?: number; locked_until?: string | null };

/**
 * Audits a refused approval as what it is: with a wrong or missing passphrase
 * nobody proved to be the operator, so the actor is an unverified attempt on
 * that channel, never a human. Too many wrong passphrases void the request.
 */
async function refuseAnswer(store: Store, row: ApprovalRow, answer: HumanAnswer, refusal: Refusal, now: Date): Promise<AnswerOutcome> {
  const { ok: _ok, reason, message, ...throttle } = refusal;
  const unverified = reason === "wrong_passphrase" || reason === "passphrase_required" || reason === "passphrase_throttled";
  const actor = unverified ? `unverified:${answer.via}` : `human:${answer.via}`;
  const entry = { event: "approval_refused" as const, actor, approval: row, detail: { via: answer.via, reason, ...throttle } };
  // A checked wrong passphrase is always recorded in full (the lockout bounds them); what costs the
  // sender nothing (an empty passphrase, a throttled try, a missing acknowledgement) is budgeted per channel.
  if (reason === "wrong_passphrase") await auditGuard(store, entry);
  else await auditRefusal(store, `channel:${answer.via}`, entry, now);
  if (reason === "wrong_passphrase" && (await store.approvals.countFailedAttempt(row.id)) >= MAX_PASSPHRASE_ATTEMPTS) {
    const why = `${MAX_PASSPHRASE_ATTEMPTS} wrong operator passphrases were entered for this request`;
    await store.approvals.close(row.id, "void", now, why, guardEvent({ event: "approval_voided", actor: "system:guard", approval: row, detail: { was: row.status, why } }));
    return {
      ok: false,
      reason: "too_many_wrong_passphrases",
      message: `Too many wrong passphrases: this request is now void and nothing was approved. The agent can ask again.`,
      row: await store.approvals.get(row.id),
    };
  }
  return { ok: false, reason, message, row };
}

async function approvalPrecondition(store: Store, row: ApprovalRow, answer: HumanAnswer, now: Date): Promise<Refusal | undefined> {
  if (factsOf(row).facts.flagged && !answer.acknowledgedFlag) {
    return { ok: false, reason: "flag_not_acknowledged", message: "This intervention is flagged: acknowledge the flag to approve it." };
  }
  if (!(await hasPassphrase(store))) return undefined;
  // A form answer passes through the agent's client: it never counts once a passphrase exists.
  if (answer.via === "form" || answer.via === "client" || answer.passphrase === undefined || answer.passphrase === "") {
    return { ok: false, reason: "passphrase_required", message: "The operator passphrase is required to approve." };
  }
  const channel: PassphraseChannel = answer.via;
  const attempt = await attemptPassphrase(store, answer.passphrase, channel, now);
  if (attempt.ok) return undefined;
  const where = channel === "cli" ? "in the terminal" : "on the approval page";
  if (attempt.reason === "locked") {
    return {
      ok: false,
      reason: "passphrase_throttled",
      message:
        `Too many wrong operator passphrases ${where}: attempts there are refused until ${attempt.lockedUntil}. Nothing was approved.` +
        (channel === "cli" ? "" : " The terminal (`retivo-mcp approvals approve`) has its own limit and still works."),
      locked_until: attempt.lockedUntil,
    };
  }
  const lockout = attempt.lockedUntil ? ` Too many wrong passphrases in a row ${where}: further attempts there are refused until ${attempt.lockedUntil}.` : "";
  const left = Math.max(0, MAX_PASSPHRASE_ATTEMPTS - (row.failed_attempts + 1));
  return {
    ok: false,
    reason: "wrong_passphrase",
    message: `Wrong passphrase; nothing was approved.${left > 0 ? ` ${left} attempt${left === 1 ? "" : "s"} left for this request.` : ""}${lockout}`,
    consecutive_failures: attempt.consecutive,
    locked_until: attempt.lockedUntil,
  };
}
