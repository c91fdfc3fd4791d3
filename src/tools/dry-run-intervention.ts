import { z } from "zod";
import { ChannelSchema, DryRunResponseSchema, PlaybookIdSchema, UserIdSchema } from "../api/schemas.js";
import { draftPreview, previewInputFromDryRun } from "../writer/preview.js";
import { writeChecked } from "../writer/index.js";
import { defineTool } from "./define.js";
import { dryRunText } from "./dry-run-text.js";
import { writerContextFor } from "./writer-context.js";

export const dryRunIntervention = defineTool({
  name: "dry_run_intervention",
  title: "Dry-run the decision for a user",
  description:
    "Ask what the decision engine would do for one end user now: intervene, skip, wait or escalate, with every rule it " +
    "evaluated and the user's context. Persists nothing and sends nothing. Optionally pin a playbook_id or channel; " +
    "preview: true also drafts the message that would be sent.",
  inputSchema: z.strictObject({
    user_id: UserIdSchema.describe("End user id, e.g. user-42."),
    playbook_id: PlaybookIdSchema.optional().describe("Evaluate only this playbook."),
    channel: ChannelSchema.optional(),
    preview: z.boolean().default(false),
  }),
  // The preview's full shape is DraftPreviewSchema; published loosely, it costs a model far fewer tokens.
  outputSchema: DryRunResponseSchema.extend({
    preview: z
      .looseObject({ message_body: z.string() })
      .optional()
      .describe("With preview: the draft, its subject, quality_checks, flagged, flag_reason, provenance, source."),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  writes: false,
  async handler({ preview, ...request }, call) {
    const writer = writerContextFor(call);
    const result = await call.deps.backend.dryRun(request, { writer, preview, signal: call.signal });
    const { decision } = result;
    // The remote API drafts nothing on a dry-run: write a labelled local preview instead.
    if (preview && decision.action === "intervene" && result.preview === undefined) {
      result.preview = draftPreview(await writeChecked(call.deps.writer, previewInputFromDryRun(result, request), writer), "local_preview");
    }
    return { structured: result, text: dryRunText(result, request.user_id) };
  },
});
