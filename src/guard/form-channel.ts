/**
 * Asking the human through form-mode elicitation, inside their MCP client.
 * Accept counts only with the confirm box ticked (and the flag acknowledged
 * when flagged); decline and cancel are refusals of their own. With an
 * operator passphrase set, the form only tells the human where to approve,
 * because a form must never collect a secret and does not count on its own.
 */
import type { ElicitRequestFormParams, ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { factsOf, type ApprovalRow, type Store } from "../store/index.js";
import { describeApprovalRow } from "./describe.js";
import { answerApproval } from "./human-answer.js";
import { oneLine } from "../text/sanitize.js";
import type { GuardSession } from "./types.js";

export type ChannelOutcome =
  /** A human approved (the guard executes it next, unless the page already did). */
  | { kind: "approved"; row: ApprovalRow }
  | { kind: "refused"; message: string }
  /** No valid answer yet: the request stays open for the CLI or the page. */
  | { kind: "pending"; note?: string };

export async function askByForm(store: Store, row: ApprovalRow, session: GuardSession): Promise<ChannelOutcome> {
  const { facts, display } = factsOf(row);
  const verb = facts.action === "approve" ? "send this message" : "roll back (retract) this message";
  const properties: ElicitRequestFormParams["requestedSchema"]["properties"] = {
    confirm: { type: "boolean", title: `I approve: ${verb}`, description: "Leave unticked to refuse.", default: false },
  };
  if (facts.flagged) {
    properties.acknowledge_flag = {
      type: "boolean",
      title: `I have read why it is flagged: ${oneLine(display.flag_reason ?? "flagged")}`,
      default: false,
    };
  }
  properties.note = { type: "string", title: "Note for the audit log (optional)", maxLength: 500 };
  let result: ElicitResult;
  try {
    result = await session.elicitForm({
      message: `${describeApprovalRow(row)}\n\nTick the confirm box and accept to approve. Decline to refuse.`,
      requestedSchema: { type: "object", properties, required: ["confirm"] },
    });
  } catch (error) {
    return { kind: "pending", note: `The form could not be shown (${(error as Error).message}).` };
  }
  const content = result.content ?? {};
  const note = typeof content.note === "string" ? content.note : null;
  if (result.action !== "accept") {
    await answerApproval(store, row.id, { approve: false, via: "form", clientName: session.client.name, answer: result.action, note });
    return {
      kind: "refused",
      message:
        result.action === "decline"
          ? `The human declined to ${verb} (${facts.intervention_id}). Nothing changed.`
          : `The human dismissed the approval form without answering (${facts.intervention_id}). Nothing changed.`,
    };
  }
  const acknowledged = content.acknowledge_flag === true;
  if (content.confirm !== true || (facts.flagged && !acknowledged)) {
    const missing = content.confirm !== true ? "the confirm box was not ticked" : "the flag was not acknowledged";
    await answerApproval(store, row.id, { approve: false, via: "form", clientName: session.client.name, answer: "accept_unconfirmed", note });
    return { kind: "refused", message: `The form was submitted but ${missing}, so nothing was approved and nothing changed.` };
  }
  const outcome = await answerApproval(store, row.id, { approve: true, via: "form", clientName: session.client.name, answer: "accept", note, acknowledgedFlag: acknowledged });
  if (outcome.ok) return { kind: "approved", row: outcome.row };
  // Another answer got there first (the same request asked in two calls, or the CLI): the guard reports what it was.
  if (outcome.reason === "not_pending" && outcome.row && outcome.row.status !== "denied") return { kind: "approved", row: outcome.row };
  return { kind: "refused", message: outcome.message };
}

/** Passphrase mode: the form can only point the human at the page or the CLI. */
export async function pointByForm(store: Store, row: ApprovalRow, session: GuardSession, where: string): Promise<ChannelOutcome> {
  let result: ElicitResult;
  try {
    result = await session.elicitForm({
      message:
        `${describeApprovalRow(row)}\n\nAn operator passphrase protects approvals on this server, so this form cannot approve. ` +
        `A human must approve with the passphrase: ${where}. Accept once you have done so; decline to refuse.`,
      requestedSchema: { type: "object", properties: {} },
    });
  } catch {
    return { kind: "pending" };
  }
  if (result.action === "decline") {
    await answerApproval(store, row.id, { approve: false, via: "form", clientName: session.client.name, answer: "decline", note: null });
    return { kind: "refused", message: `The human declined (${factsOf(row).facts.intervention_id}). Nothing changed.` };
  }
  return { kind: "pending" };
}
