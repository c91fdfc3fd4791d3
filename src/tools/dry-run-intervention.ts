import { z } from "zod";
import { ChannelSchema, PlaybookIdSchema, DryRunResponseSchema, UserIdSchema } from "../api/schemas.js";
import { defineTool } from "./define.js";
import { writerContextFor } from "./writer-context.js";

export const dryRunIntervention = defineTool({
  name: "dry_run_intervention",
  title: "Dry-run the decision for a user",
  description:
    "Ask what the decision engine would do for one end user now: intervene, skip, wait or escalate, with every rule it " +
    "evaluated and the user's context. Persists nothing and sends nothing. Optionally pin a playbook_id or channel.",
  inputSchema: z.strictObject({
    user_id: UserIdSchema.describe("End user id, e.g. user-42."),
    playbook_id: PlaybookIdSchema.optional().describe("Evaluate only this playbook."),
    channel: ChannelSchema.optional(),
  }),
  outputSchema: DryRunResponseSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  writes: false,
  async handler(args, call) {
    const result = await call.deps.backend.dryRun(args, { writer: writerContextFor(call) });
    const { decision } = result;
    const target = decision.action === "intervene" ? ` via ${decision.channel} (playbook ${decision.playbook_id}, confidence ${decision.confidence})` : "";
    const why = decision.reason ? ` Reason: ${decision.reason}.` : "";
    return {
      structured: result,
      text: `Decision for ${args.user_id}: ${decision.action}${target}.${why} Nothing was saved.`,
    };
  },
});
