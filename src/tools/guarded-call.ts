/**
 * The shared flow of approve and rollback: read, report when already done
 * (and by whose approval), refuse what the status machine would refuse, then
 * ask the guard, which executes the action itself once a human approves. No
 * argument of the agent takes part in the decision; the tool schemas do not
 * even accept one.
 */
import { z } from "zod";
import { StatusSchema, type Status } from "../api/schemas.js";
import { planTransition, targetOf, type GuardedAction } from "../domain/status-machine.js";
import type { ToolCall, ToolOutput } from "./define.js";
import { guardSessionFor } from "./guard-session.js";

export const guardedResultSchema = z.object({
  id: z.string(),
  status: z.string(),
  approval: z
    .object({
      status: z.literal("pending_approval"),
      approval_id: z.string(),
      expires_at: z.string(),
      instructions: z.string().describe("Show these to the human verbatim."),
      approval_url: z.string().nullable(),
    })
    .optional()
    .describe("Present while a human still has to decide; status is then unchanged."),
});
export type GuardedResult = z.infer<typeof guardedResultSchema>;

const TOOL: Record<GuardedAction, string> = { approve: "approve_intervention", rollback: "rollback_intervention" };

export async function runGuarded(action: GuardedAction, id: string, reason: string | undefined, call: ToolCall): Promise<ToolOutput<GuardedResult>> {
  const { guard } = call.deps;
  const current = await call.deps.backend.get(id, { signal: call.signal });
  if (current.status === targetOf(action)) {
    const by = await guard.releasedBy(action, id);
    const how = by ? `: approved by ${by.decidedBy} (approval ${by.approvalId}) and executed at ${by.executedAt}` : "; nothing to do";
    return { structured: { id, status: current.status }, text: `${id} is ${current.status}${how}.` };
  }
  // Never ask a human to approve what the status machine, or the user's consent, will refuse anyway.
  if (isKnownStatus(current.status)) planTransition(action, id, current.status);
  if (action === "approve") await call.deps.backend.assertApprovable?.(id);
  const decision = await guard.authorize({ action, intervention: current, reason }, guardSessionFor(call));
  if (decision.kind === "executed") {
    return {
      structured: { id, status: decision.status },
      text: `${id} is ${decision.status}: approved by ${decision.decidedBy} (approval ${decision.approvalId}) and executed.`,
    };
  }
  if (decision.kind === "already") {
    return { structured: { id, status: decision.status }, text: `${id} is already ${decision.status} (another approval or an operator got there first); nothing more to do.` };
  }
  const { pending } = decision;
  return {
    structured: {
      id,
      status: current.status,
      approval: {
        status: "pending_approval",
        approval_id: pending.approval_id,
        expires_at: pending.expires_at,
        instructions: pending.instructions,
        approval_url: pending.approval_url,
      },
    },
    text:
      (pending.replaces ? `The earlier approval request ${pending.replaces.approval_id} ${pending.replaces.outcome}; nothing was released, and a new request was opened. ` : "") +
      `Waiting for a human: nothing happens to ${id} until one decides (approval ${pending.approval_id}, expires ${pending.expires_at}). ` +
      `Show the human this, verbatim: "${pending.instructions}" ` +
      `Afterwards, call ${TOOL[action]} for ${id} again to learn the outcome.`,
  };
}

function isKnownStatus(status: string): status is Status {
  return StatusSchema.safeParse(status).success;
}
