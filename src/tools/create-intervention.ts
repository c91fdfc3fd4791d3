import { z } from "zod";
import { ChannelSchema, PlaybookIdSchema, CreateResponseSchema, UserIdSchema } from "../api/schemas.js";
import { oneLine } from "../api/compact.js";
import { actorOf } from "./actor.js";
import { defineTool } from "./define.js";
import { writerContextFor } from "./writer-context.js";

export const createIntervention = defineTool({
  name: "create_intervention",
  title: "Create a manual intervention",
  description:
    "Plan a new intervention for one end user with a playbook and channel; the message and reasoning are written for it " +
    "and quality-checked. It starts as 'planned' and reaches no one until a human approves it. " +
    "Get playbook_id from dry_run_intervention (decision.playbook_id). Each call creates one; a retry after a lost answer returns it.",
  inputSchema: z.strictObject({
    user_id: UserIdSchema.describe("End user id, e.g. user-42."),
    playbook_id: PlaybookIdSchema.describe("Playbook UUID, from dry_run_intervention."),
    channel: ChannelSchema,
  }),
  outputSchema: CreateResponseSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  writes: true,
  async handler(args, call) {
    const created = await call.deps.backend.create(args, { writer: writerContextFor(call), actor: actorOf(call), signal: call.signal });
    // The local store says at once whether it flagged what it made; the Retivo API's answer does not, so read it back.
    const flag =
      typeof created.flagged === "boolean"
        ? { flagged: created.flagged, flag_reason: typeof created.flag_reason === "string" ? created.flag_reason : null }
        : await call.deps.backend.get(created.id, { signal: call.signal });
    const verdict = flag.flagged
      ? `FLAGGED: ${oneLine(flag.flag_reason ?? "no reason given", 300)}. Read it with get_intervention before asking a human to approve; reject it if the flag is right.`
      : "Not flagged.";
    const what = created.recovered_from_lost_answer
      ? `Found ${created.id}: the earlier create_intervention whose answer was lost had made it, so no second one was created`
      : `Created ${created.id}`;
    return {
      structured: created,
      text: `${what} (${created.status}, ${created.channel}, planned_at ${created.planned_at}). ${verdict} It is sent only after a human approves it.`,
    };
  },
});
