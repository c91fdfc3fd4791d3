import { z } from "zod";
import { FlagResponseSchema } from "../api/schemas.js";
import { actorOf } from "./actor.js";
import { defineTool } from "./define.js";
import { interventionIdParam, requiredReasonParam } from "./params.js";

export const flagIntervention = defineTool({
  name: "flag_intervention",
  title: "Flag an intervention for review",
  description:
    "Mark an intervention as needing human attention, with a reason. Works in any status. " +
    "Flagging an approved, unsent intervention also pauses it, so it cannot go out without a fresh approval.",
  inputSchema: z.strictObject({ intervention_id: interventionIdParam, reason: requiredReasonParam }),
  outputSchema: FlagResponseSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  writes: true,
  async handler({ intervention_id, reason }, call) {
    const result = await call.deps.backend.flag(intervention_id, reason, { actor: actorOf(call), signal: call.signal });
    return { structured: result, text: `${result.id} is flagged.` };
  },
});
