import { z } from "zod";
import { defineTool } from "./define.js";
import { guardedResultSchema, runGuarded } from "./guarded-call.js";
import { interventionIdParam } from "./params.js";

export const approveIntervention = defineTool({
  name: "approve_intervention",
  title: "Approve an intervention (human approval required)",
  description:
    "Release a planned or paused intervention for sending. A human must approve it: the server asks them directly " +
    "(a form in your client, an approval page, or the `retivo-mcp approvals` CLI). If the result says pending_approval, " +
    "show the instructions to the human and call again after they approve. You cannot approve on their behalf.",
  inputSchema: z.strictObject({ intervention_id: interventionIdParam }),
  outputSchema: guardedResultSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writes: true,
  guarded: true,
  async handler({ intervention_id }, call) {
    return runGuarded("approve", "approved", intervention_id, undefined, call, (options) =>
      call.deps.backend.approve(intervention_id, { ...options, signal: call.signal }),
    );
  },
});
