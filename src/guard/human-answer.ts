/**
 * A human's answer to a request as the page, the CLI and the form deliver it
 * (or a refusal reported by the client): proving who answered (the
 * operator's passphrase, the single operator passphrase, or, with neither
 * configured, the channel itself), then recording it through the one
 * decision function (decision.ts), so every channel applies the same rules.
 * Recording an approval does not release anything by itself: the caller then
 * hands the request to the releaser (release.ts), which executes it once the
 * quorum is in.
 */
import { factsOf, isExpired, type ApprovalRow, type Store } from "../store/index.js";
import { recordOperatorDecision, type DecisionOutcome } from "./decision.js";
import { auditGuard, auditRefusal, guardEvent } from "./guard-audit.js";
import { DEFAULT_OPERATOR } from "../domain/operator.js";
import type { AuditEvent, DatabaseAnswer } from "../store/index.js";
import { operatorsConfigured, proveOperatorByPassphrase } from "./operators.js";
import { attemptPassphrase, hasPassphrase, passphraseInDatabase, type PassphraseAttempt, type PassphraseChannel } from "./passphrase.js";
import { oneLine } from "../text/sanitize.js";

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
  /** Required on page and CLI when an operator passphrase is set, or operators exist; a form never carries one. */
  passphrase?: string;
  /** The named operator answering (page and CLI), required once operators exist. */
  operator?: string;
  /** Page only: the operator a verified OIDC login names (page-login.ts), deciding without a passphrase. */
  loggedIn?: { operator: string; vouchedBy: string };
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
  | "passphrase_throttled"
  | "operator_required"
  | "unknown_operator"
  | "repeated"
  | "excluded";

export type AnswerOutcome =
  /** `approvers`: the distinct approvals so far, when this counted one (the request may still wait for more). */
  | { ok: true; row: ApprovalRow; approvers?: string[] }
  | { ok: false; reason: AnswerRefusal; message: string; row?: ApprovalRow };

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
  const named = await operatorsConfigured(store);
  const note = answer.note?.trim() ? answer.note.trim().slice(0, 2000) : null;
  const base = { approvalId: row.id, channel: answer.via, note, acknowledgedFlag: answer.acknowledgedFlag ?? false, now } as const;
  if (answer.approve) {
    if (factsOf(row).facts.flagged && !answer.acknowledgedFlag) {
      return refuseAnswer(store, row, answer, { reason: "flag_not_acknowledged", message: "This intervention is flagged: acknowledge the flag to approve it." }, now);
    }
    if (named) {
      const proof = await operatorPrecondition(store, row, answer, now);
      if (proof.refusal) return refuseAnswer(store, row, answer, proof.refusal, now);
      // Where the database holds passphrases it checks this one itself; a login cannot vouch there (decision.ts refuses it).
      if (proof.vouchedBy === "passphrase" && (await passphraseInDatabase(store))) {
        return approveInDatabase(store, row, answer, note, now, { operator: proof.operator, by: proof.operator });
      }
      return outcomeOf(await recordOperatorDecision(store, { ...base, operator: proof.operator, answer: "approve", vouchedBy: proof.vouchedBy, recordedAnswer: answer.answer }));
    }
    const refusal = await approvalPrecondition(store, row, answer, now);
    if (refusal) return refuseAnswer(store, row, answer, refusal, now);
    if (await passphraseInDatabase(store)) return approveInDatabase(store, row, answer, note, now, { operator: DEFAULT_OPERATOR, by: actorOf(answer) });
    const vouchedBy = (await hasPassphrase(store)) ? "passphrase" : answer.via === "form" ? "client form" : answer.via === "cli" ? "terminal" : "page link";
    return outcomeOf(await recordOperatorDecision(store, { ...base, operator: null, anonymousActor: actorOf(answer), answer: "approve", vouchedBy, recordedAnswer: answer.answer }));
  }
  if (answer.via !== "client" && named && (answer.operator || answer.loggedIn)) {
    const proof = await operatorPrecondition(store, row, answer, now);
    // A named operator's proven rejection ends the request for that version; an unproven one is recorded as unverified.
    if (!proof.refusal) return outcomeOf(await recordOperatorDecision(store, { ...base, operator: proof.operator, answer: "reject", vouchedBy: proof.vouchedBy, recordedAnswer: answer.answer }));
    // An unknown name comes back as a wrong passphrase (see operatorPrecondition), recorded below as unverified like one.
    if (proof.refusal.reason === "excluded") return refuseAnswer(store, row, answer, proof.refusal, now);
  } else if (answer.via === "client" || (!named && (await denialIsProven(store, answer.via, answer, now)))) {
    return outcomeOf(await recordOperatorDecision(store, { ...base, operator: null, anonymousActor: actorOf(answer), answer: "reject", vouchedBy: answer.via === "client" ? "client report" : "channel", recordedAnswer: answer.answer }));
  }
  // Recorded and the request closed, but not final: nobody proved to be the operator, so the
  // agent may ask again rather than be told a human refused.
  return outcomeOf(
    await recordOperatorDecision(store, { ...base, operator: null, anonymousActor: `unverified:${answer.via}`, answer: "reject", vouchedBy: "nothing", recordedAnswer: `${answer.answer}_unverified` }),
  );
}

function outcomeOf(outcome: DecisionOutcome): AnswerOutcome {
  if (!outcome.ok) return outcome;
  return outcome.result.kind === "denied" ? { ok: true, row: outcome.row } : { ok: true, row: outcome.row, approvers: outcome.result.approvers };
}

/**
 * With operators configured: a named operator who exists, is not barred by
 * the request's tier, and gives their own passphrase on the page or in the
 * terminal (counted on that operator's own throttle there).
 */
async function operatorPrecondition(store: Store, row: ApprovalRow, answer: HumanAnswer, now: Date): Promise<{ operator: string; vouchedBy: string; refusal?: undefined } | { refusal: Refusal }> {
  if (answer.via === "form" || answer.via === "client") {
    return { refusal: { reason: "operator_required", message: "Named operators decide this store's requests: answer on the approval page or with `retivo-mcp approvals approve ID --as NAME`." } };
  }
  if (answer.loggedIn && answer.via === "page") {
    const { operator, vouchedBy } = answer.loggedIn;
    if (row.excluded_operator === operator) {
      return { refusal: { reason: "excluded", message: `${oneLine(operator, 60)} runs the agent that asked for this, and the approval policy needs someone else to decide it. Nothing was recorded.` } };
    }
    // Whether the operator still exists is the decision function's check, made in the same breath as recording.
    return { operator, vouchedBy };
  }
  if (!answer.operator) return { refusal: { reason: "operator_required", message: "Name the operator who decides (`--as NAME` in the terminal, the operator field on the page)." } };
  if (row.excluded_operator === answer.operator) {
    return { refusal: { reason: "excluded", message: `${oneLine(answer.operator, 60)} runs the agent that asked for this, and the approval policy needs someone else to decide it. Nothing was recorded.` } };
  }
  if (!answer.passphrase) return { refusal: { reason: "passphrase_required", message: "The operator's passphrase is required." } };
  const proof = await proveOperatorByPassphrase(store, answer.operator, answer.passphrase, answer.via, now);
  if (proof.ok) return { operator: proof.operator.name, vouchedBy: "passphrase" };
  // An unknown name is answered like a wrong passphrase, so the page does not tell an agent which operators exist.
  if (proof.reason === "unknown_operator") return { refusal: wrongPassphrase(row, answer.via, { consecutive: 0, lockedUntil: null }) };
  return { refusal: passphraseRefusal(row, answer.via, proof) };
}

/**
 * The approval itself where the database holds the passphrase: it checks the
 * passphrase again, records the decision and counts the quorum
 * (retivo_decide_approval), the only way this process's role may record an
 * approval (the precondition above has throttled and checked it). `operator`
 * is whose passphrase the database checks (a named operator, or the single
 * anonymous one), `by` the name the decision is recorded under.
 */
async function approveInDatabase(store: Store, row: ApprovalRow, answer: HumanAnswer, note: string | null, now: Date, who: { operator: string; by: string }): Promise<AnswerOutcome> {
  const named = who.operator !== DEFAULT_OPERATOR;
  const decision: DatabaseAnswer = { by: who.by, channel: answer.via, answer: answer.answer, note, now };
  const event: AuditEvent = guardEvent({
    event: "approval_answered",
    actor: who.by,
    approval: row,
    detail: {
      via: answer.via,
      answer: answer.answer,
      approved: true,
      note,
      acknowledged_flag: answer.acknowledgedFlag ?? false,
      // As recordOperatorDecision writes a team decision; the database appends approvals_given and quorum_reached.
      ...(named || row.required_approvals > 1 ? { operator: named ? who.operator : null, vouched_by: `database passphrase of ${who.operator}`, approvals_required: row.required_approvals } : {}),
    },
  });
  const outcome = await store.databaseGuard!.approve(row.id, who.operator, answer.passphrase ?? "", decision, event);
  const shown = oneLine(who.by, 60);
  switch (outcome) {
    case "approved":
    case "counted": {
      const approvers = (await store.approvals.decisionsOf(row.id)).filter((d) => d.answer === "approve").map((d) => d.operator);
      return { ok: true, row: (await store.approvals.get(row.id))!, approvers };
    }
    case "repeated":
      return { ok: false, reason: "repeated", message: `${shown} has already decided request ${row.id}; a second decision by the same operator is not counted. Nothing changed.`, row };
    case "excluded":
      // The database also refuses the single passphrase once named operators exist: they were added meanwhile.
      if (!named) return { ok: false, reason: "operator_required", message: "Named operators were added meanwhile: name the operator who decides (`--as NAME` in the terminal, the operator field on the page). Nothing was recorded.", row };
      return { ok: false, reason: "excluded", message: `${shown} runs the agent that asked for this, and the approval policy needs someone else to decide it. Nothing was recorded.`, row };
    case "not_open":
      return { ok: false, reason: "not_pending", message: `Approval request ${row.id} was answered or expired meanwhile; nothing changed.`, row: await store.approvals.get(row.id) };
    case "no_passphrase":
      return { ok: false, reason: "passphrase_required", message: "The passphrase was removed meanwhile; nothing was approved.", row };
    case "wrong_passphrase":
      return { ok: false, reason: "wrong_passphrase", message: "Wrong passphrase (it changed meanwhile); nothing was approved.", row };
  }
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

/** Why an answer is refused, before refuseAnswer audits it and makes it the outcome; with the throttle's state for a passphrase. */
type Refusal = { reason: AnswerRefusal; message: string; consecutive_failures?: number; locked_until?: string | null };

/**
 * Audits a refused approval as what it is: with a wrong or missing passphrase
 * nobody proved to be the operator, so the actor is an unverified attempt on
 * that channel, never a human. Too many wrong passphrases void the request.
 */
async function refuseAnswer(store: Store, row: ApprovalRow, answer: HumanAnswer, refusal: Refusal, now: Date): Promise<AnswerOutcome> {
  const { reason, message, ...throttle } = refusal;
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
  if (!(await hasPassphrase(store))) return undefined;
  // A form answer passes through the agent's client: it never counts once a passphrase exists.
  if (answer.via === "form" || answer.via === "client" || answer.passphrase === undefined || answer.passphrase === "") {
    return { reason: "passphrase_required", message: "The operator passphrase is required to approve." };
  }
  const attempt = await attemptPassphrase(store, answer.passphrase, answer.via, now);
  return attempt.ok ? undefined : passphraseRefusal(row, answer.via, attempt);
}

function passphraseRefusal(row: ApprovalRow, channel: PassphraseChannel, attempt: Extract<PassphraseAttempt, { ok: false }>): Refusal {
  const where = channel === "cli" ? "in the terminal" : "on the approval page";
  if (attempt.reason === "locked") {
    return {
      reason: "passphrase_throttled",
      message:
        `Too many wrong operator passphrases ${where}: attempts there are refused until ${attempt.lockedUntil}. Nothing was approved.` +
        (channel === "cli" ? "" : " The terminal (`retivo-mcp approvals approve`) has its own limit and still works."),
      locked_until: attempt.lockedUntil,
    };
  }
  return wrongPassphrase(row, channel, attempt);
}

function wrongPassphrase(row: ApprovalRow, channel: PassphraseChannel, attempt: Pick<Extract<PassphraseAttempt, { reason: "wrong" }>, "consecutive" | "lockedUntil">): Refusal {
  const where = channel === "cli" ? "in the terminal" : "on the approval page";
  const lockout = attempt.lockedUntil ? ` Too many wrong passphrases in a row ${where}: further attempts there are refused until ${attempt.lockedUntil}.` : "";
  const left = Math.max(0, MAX_PASSPHRASE_ATTEMPTS - (row.failed_attempts + 1));
  return {
    reason: "wrong_passphrase",
    message: `Wrong passphrase; nothing was approved.${left > 0 ? ` ${left} attempt${left === 1 ? "" : "s"} left for this request.` : ""}${lockout}`,
    consecutive_failures: attempt.consecutive,
    locked_until: attempt.lockedUntil,
  };
}
