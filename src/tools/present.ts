/**
 * How interventions are shown to a model: compact rows by default (a page of
 * 20 stays far under 10,000 tokens), the full object on request, and one-line
 * text summaries. Message bodies are model-written data, so the text labels
 * them as such and never lets them read as instructions.
 */
import { z } from "zod";
import type { DetailedIntervention } from "../api/schemas.js";

const PREVIEW_CHARS = 90;

export const CompactInterventionSchema = z.looseObject({
  id: z.string(),
  user_id: z.string(),
  playbook_id: z.string(),
  status: z.string(),
  channel: z.string(),
  flagged: z.boolean(),
  planned_at: z.string(),
  preview: z.string().optional().describe("First words of message_body (compact rows only)."),
});
export type CompactIntervention = z.infer<typeof CompactInterventionSchema>;

export function preview(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length <= PREVIEW_CHARS ? oneLine : `${oneLine.slice(0, PREVIEW_CHARS - 1)}…`;
}

export function compact(intervention: DetailedIntervention): CompactIntervention {
  return {
    id: intervention.id,
    user_id: intervention.user_id,
    playbook_id: intervention.playbook_id,
    status: intervention.status,
    channel: intervention.channel,
    flagged: intervention.flagged,
    planned_at: intervention.planned_at,
    preview: preview(intervention.message_body),
  };
}

/** `int_… planned email user-7 [FLAGGED: reason]` */
export function summaryLine(intervention: DetailedIntervention | CompactIntervention): string {
  const flag = intervention.flagged ? ` [FLAGGED${"flag_reason" in intervention && intervention.flag_reason ? `: ${intervention.flag_reason}` : ""}]` : "";
  return `${intervention.id} ${intervention.status} ${intervention.channel} ${intervention.user_id}${flag}`;
}
