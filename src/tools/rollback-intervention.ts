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
    const outcome = await runGuarded("rollback", "rolled_back", intervention_id, reason, call, (options) =>
      call.deps.backend.rollback(intervention_id, reason, options),
    );
    if (outcome.structured.status !== "rolled_back") return outcome;
    // "Rolled back" must not read as "retracted" for an email: say what really happened.
    const { channel } = await call.deps.backend.get(intervention_id);
    return channel === "email" ? { ...outcome, text: `${outcome.text} ${EMAIL_ROLLBACK}` } : outcome;
  },
});

export const EMAIL_ROLLBACK =
  "It was an email: it is recorded as rolled back, but an email cannot be unsent, so the recipient still has it. " +
  "If it needs correcting, tell the human; a follow-up message is a new intervention.";
