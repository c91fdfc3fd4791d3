import { z } from "zod";
import { actorOf } from "./actor.js";
import { defineTool } from "./define.js";
import { interventionIdParam, statusResultSchema } from "./params.js";

export const pauseIntervention = defineTool({
  name: "pause_intervention",
  title: "Pause an intervention",
  description:
    "Put a planned or approved (not yet sent) intervention on hold so it is never sent while paused. " +
    "Always safe; no approval needed. Undo by approving it again (which needs a human).",
  inputSchema: z.strictObject({ intervention_id: interventionIdParam }),
  outputSchema: statusResultSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  writes: true,
  async handler({ intervention_id }, call) {
    const result = await call.deps.backend.pause(intervention_id, { actor: actorOf(call), signal: call.signal });
    return { structured: result, text: `${result.id} is ${result.status}.` };
  },
});
