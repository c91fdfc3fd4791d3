import { z } from "zod";
import { ReasonSchema } from "../api/schemas.js";
import { defineTool } from "./define.js";
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
    return runGuarded("rollback", "rolled_back", intervention_id, reason, call, (options) =>
      call.deps.backend.rollback(intervention_id, reason, { ...options, signal: call.signal }),
    );
  },
});
