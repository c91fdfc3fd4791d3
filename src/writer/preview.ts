/**
 * The `preview` a dry-run may carry: the message that would be sent, with its
 * quality checks. Our extension of the API's dry-run answer, labelled with
 * where it was drafted.
 */
import { z } from "zod";
import { ChannelSchema, ProvenanceSchema, QualityChecksSchema, type DryRunResponse } from "../api/schemas.js";
import type { CheckedWriting, WriterInput } from "./types.js";

export const DraftPreviewSchema = z.object({
  source: z.enum(["local_store", "local_preview"]).describe("local_preview: drafted here in API mode, without the tenant's brand context."),
  subject: z.string().nullable(),
  message_body: z.string(),
  quality_checks: QualityChecksSchema,
  flagged: z.boolean(),
  flag_reason: z.string().nullable(),
  provenance: ProvenanceSchema,
});
export type DraftPreview = z.infer<typeof DraftPreviewSchema>;

export function draftPreview(written: CheckedWriting, source: DraftPreview["source"]): DraftPreview {
  return {
    source,
    subject: written.output.subject,
    message_body: written.output.message_body,
    quality_checks: written.quality_checks,
    flagged: written.flagged,
    flag_reason: written.flag_reason,
    provenance: written.output.provenance,
  };
}

/** The lifecycle area a stage most likely calls for, when only the stage is known (API mode). */
const AREA_FOR_STAGE: Record<string, string> = {
  new: "onboarding",
  onboarding: "onboarding",
  active: "retention",
  at_risk: "churn_prevention",
  churned: "win_back",
  recovered: "retention",
};

/**
 * Writer input from a remote dry-run answer: all we know in API mode is the
 * decision and its context, so the draft uses no name, no brand rules, no
 * offers and no footer. It is a local preview, never what the remote API will send.
 */
export function previewInputFromDryRun(response: DryRunResponse, request: { user_id: string }): WriterInput {
  const { decision, context } = response;
  return {
    purpose: "dry_run",
    channel: ChannelSchema.catch("email").parse(decision.channel),
    customer: {
      first_name: "there",
      locale: "en",
      lifecycle_stage: context.lifecycle_stage,
      activation_score: context.activation_score,
      engagement_score: 0,
      expansion_score: 0,
      health: 0,
      risk_level: context.risk_level,
      days_since_last_activity: null,
      days_since_churn: null,
    },
    playbook: {
      id: decision.playbook_id,
      name: "remote playbook",
      lifecycle_area: AREA_FOR_STAGE[context.lifecycle_stage] ?? "retention",
      tone: null,
    },
    offers: [],
    brand: { product_description: "", tone_guidelines: "", things_to_mention: [], things_to_avoid: [] },
    // The tenant's footer and brand limits live upstream: the email rules say they were not verified here.
    policy: null,
    variation_key: `${request.user_id}:${decision.playbook_id}:${decision.channel}`,
  };
}
