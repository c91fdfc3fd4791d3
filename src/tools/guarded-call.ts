/**
 * The shared flow of approve and rollback: read, short-circuit when already
 * done, ask the guard, and only with its approval call the backend with the
 * preconditions it returned. No argument of the agent takes part in the
 * decision; the tool schemas do not even accept one.
 */
import { z } from "zod";
import type { StatusResponse } from "../api/schemas.js";
import type { GuardedAction } from "../guard/types.js";
import type { GuardedActionOptions } from "../backend/types.js";
import { StatusSchema, type Status } from "../api/schemas.js";
import { planTransition } from "../backend/local/lifecycle.js";
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
    .describe("Present while a human still has to approve; status is then unchanged."),
});
export type GuardedResult = z.infer<typeof guardedResultSchema>;

export async function runGuarded(
  action: GuardedAction,
  targetStatus: string,
  id: string,
  reason: string | undefined,
  call: ToolCall,
  execute: (options: GuardedActionOptions) => Promise<StatusResponse>,
): Promise<ToolOutput<GuardedResult>> {
  const { guard } = call.deps;
  const current = await call.deps.backend.get(id, { signal: call.signal });
  if (current.status === targetStatus) {
    return { structured: { id, status: current.status }, text: `${id} is already ${current.status}; nothing to do.` };
  }
  // Never ask a human to approve what the status machine will refuse anyway.
  if (isKnownStatus(current.status)) planTransition(action, id, current.status);
  const decision = await guard.authorize({ action, intervention: current, reason }, guardSessionFor(call));
  if (decision.kind === "pending") {
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
      text: `Not done yet: a human must approve this ${action}. ${pending.instructions} Then call ${action}_intervention again for ${id}.`,
    };
  }
  try {
    const result = await execute(decision.options);
    guard.recordOutcome(decision.approvalId, { ok: true, status: result.status });
    return { structured: { id: result.id, status: result.status }, text: `${result.id} is ${result.status} (approved by a human via ${decision.channel}).` };
  } catch (error) {
    guard.recordOutcome(decision.approvalId, { ok: false, error: (error as Error).message });
    throw error;
  }
}

function isKnownStatus(status: string): status is Status {
  return StatusSchema.safeParse(status).success;
}
