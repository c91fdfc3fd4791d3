import { z } from "zod";
import { ReasonSchema } from "../api/schemas.js";
import { defineTool } from "./define.js";
import { rollbackEffect } from "../guard/outcome-text.js";
import { guardedResultSchema, runGuarded } from "./guarded-call.js";
import { interventionIdParam } from "./params.js";

export const rollbackIntervention = defineTool({
  name: "rollback_intervention",
  title: "Roll back a sent intervention (human approval required)",
  description:
    "Retract a sent or delivered intervention: in-app messages are withdrawn, webhooks get a signed retraction, " +
    "emails cannot be unsent (the retraction is recorded). A human must approve, as for approve_intervention.",
  inputSchema: z.strictObject({
    intervention_id: interventionIdParam,
    reason: ReasonSchema.optional().describe("Reason for rollback."),
  }),
  outputSchema: guardedResultSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  writes: true,
  guarded: true,
  async handler({ intervention_id, reason }, call) {
    const outcome = await runGuarded("rollback", intervention_id, reason, call);
    if (outcome.structured.status !== "rolled_back") return outcome;
    // "Rolled back" must not read as "retracted" everywhere (an email cannot be unsent): say what the channel did.
    const { channel } = await call.deps.backend.get(intervention_id, { signal: call.signal });
    return { ...outcome, text: `${outcome.text} On ${channel}: ${rollbackEffect(channel)}.` };
  },
});
