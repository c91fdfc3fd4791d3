import { z } from "zod";
import { actorOf } from "./actor.js";
import { defineTool } from "./define.js";
import { interventionIdParam, requiredReasonParam, statusResultSchema } from "./params.js";

export const rejectIntervention = defineTool({
  name: "reject_intervention",
  title: "Reject an intervention",
  description:
    "Reject a planned, paused or approved (not yet sent) intervention for good, with a reason. " +
    "Final: a rejected intervention can never be sent. Prefer pause_intervention when unsure.",
  inputSchema: z.strictObject({ intervention_id: interventionIdParam, reason: requiredReasonParam }),
  outputSchema: statusResultSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  writes: true,
  async handler({ intervention_id, reason }, call) {
    const result = await call.deps.backend.reject(intervention_id, reason, { actor: actorOf(call), signal: call.signal });
    return { structured: result, text: `${result.id} is ${result.status}.` };
  },
});
