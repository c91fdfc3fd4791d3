/**
 * The one decision function every channel calls (the page, the CLI, the
 * form, later the approval webhook): it records an operator's approve or
 * reject on a request and counts the quorum, in one store transaction
 * (store/ops/decisions.ts), with its audit row. It takes the operator as
 * already vouched for: checking a passphrase, a login or a webhook's
 * signature is the caller's job (operator-proof.ts), so any of them can
 * stand behind a decision. Recording does not release anything: the caller
 * then hands an approved request to the releaser (release.ts).
 */
import { factsOf, type ApprovalRow, type DecisionResult, type Store } from "../store/index.js";
import { oneLine } from "../text/sanitize.js";
import { guardEvent } from "./guard-audit.js";
import { passphraseInDatabase } from "./passphrase.js";

export type DecisionChannel = "cli" | "page" | "form" | "client" | "webhook";

export interface OperatorDecision {
  approvalId: string;
  /** The operator's name; null for the anonymous human when no operators are configured. */
  operator: string | null;
  answer: "approve" | "reject";
  channel: DecisionChannel;
  /** What proved the operator (passphrase, terminal, oidc:<issuer>, webhook-signature, …); recorded with the decision. */
  vouchedBy: string;
  /** The request's recorded answer when it is more specific than approve/reject (decline, deny_unverified, url_cancel, …). */
  recordedAnswer?: string;
  /** Without operators: who answered as far as the server can tell (human:cli, form:<client>, unverified:cli …). */
  anonymousActor?: string;
  note?: string | null;
  acknowledgedFlag?: boolean;
  now: Date;
}

export type DecisionOutcome =
  | { ok: true; result: Extract<DecisionResult, { kind: "approved" | "counted" | "denied" }>; row: ApprovalRow }
  | { ok: false; reason: "not_found" | "not_pending" | "flag_not_acknowledged" | "unknown_operator" | "repeated" | "excluded" | "passphrase_required"; message: string; row?: ApprovalRow };

/** The actor of a decision in the audit log and on the request: the operator, or the anonymous channel's actor. */
export function deciderOf(decision: Pick<OperatorDecision, "operator" | "anonymousActor" | "channel">): string {
  return decision.operator ?? decision.anonymousActor ?? `human:${decision.channel}`;
}

export async function recordOperatorDecision(store: Store, decision: OperatorDecision): Promise<DecisionOutcome> {
  const row = await store.approvals.get(decision.approvalId);
  if (!row) return { ok: false, reason: "not_found", message: `No approval request ${decision.approvalId}.` };
  if (decision.answer === "approve" && factsOf(row).facts.flagged && !decision.acknowledgedFlag) {
    return { ok: false, reason: "flag_not_acknowledged", message: "This intervention is flagged: acknowledge the flag to approve it.", row };
  }
  // Where the database keeps the guard it records approvals only with a passphrase it checks itself (human-answer.ts
  // approveInDatabase): an approval vouched for by anything else (a login, a signed webhook) would be refused there.
  if (decision.answer === "approve" && (await passphraseInDatabase(store))) {
    return {
      ok: false,
      reason: "passphrase_required",
      message: "This store's database keeps the guard: an approval counts only with the operator's passphrase, on the approval page or with `retivo-mcp approvals approve ID --as NAME`. Nothing was recorded.",
      row,
    };
  }
  if (decision.operator !== null && !(await store.operators.get(decision.operator))) {
    return { ok: false, reason: "unknown_operator", message: `There is no operator named ${oneLine(decision.operator, 60)}; nothing was recorded.`, row };
  }
  const by = deciderOf(decision);
  const shown = oneLine(by, 60);
  const note = decision.note?.trim() ? decision.note.trim().slice(0, 2000) : null;
  const recorded = decision.recordedAnswer ?? decision.answer;
  const result = await store.approvals.recordDecision(
    { approvalId: row.id, operator: by, approved: decision.answer === "approve", answer: recorded, channel: decision.channel, vouchedBy: decision.vouchedBy, note, now: decision.now },
    (outcome) =>
      outcome.kind === "approved" || outcome.kind === "counted" || outcome.kind === "denied"
        ? guardEvent({
            event: "approval_answered",
            actor: by,
            approval: row,
            detail: {
              via: decision.channel,
              answer: recorded,
              approved: decision.answer === "approve",
              note,
              acknowledged_flag: decision.acknowledgedFlag ?? false,
              // Today's anonymous approval keeps today's audit row; a team decision says who, what vouched, and the count.
              ...(decision.operator === null && row.required_approvals === 1
                ? {}
                : {
                    operator: decision.operator,
                    vouched_by: decision.vouchedBy,
                    ...(outcome.kind === "denied" ? {} : { approvals_given: outcome.approvers.length, approvals_required: row.required_approvals, quorum_reached: outcome.kind === "approved" }),
                  }),
            },
          })
        : undefined,
  );
  switch (result.kind) {
    case "approved":
    case "counted":
    case "denied":
      return { ok: true, result, row: (await store.approvals.get(row.id)) ?? result.row };
    case "repeated":
      return { ok: false, reason: "repeated", message: `${shown} has already decided request ${row.id}; a second decision by the same operator is not counted. Nothing changed.`, row: result.row };
    case "excluded":
      return {
        ok: false,
        reason: "excluded",
        message: `${shown} runs the agent that asked for this, and the approval policy needs someone else to decide it. Nothing was recorded.`,
        row: result.row,
      };
    case "closed":
      return { ok: false, reason: "not_pending", message: `Approval request ${row.id} was answered or expired meanwhile; nothing changed.`, row: result.row };
  }
}
