/**
 * The compact view of an intervention: what a triage list needs, and nothing
 * a model would pay tokens for without using (a page of 20 stays far under
 * 10,000 tokens). Derived from the API object, so every backend can give it.
 */
import { z } from "zod";
import type { DetailedIntervention } from "./schemas.js";

export const PREVIEW_CHARS = 90;

export const CompactInterventionSchema = z.looseObject({
  id: z.string(),
  user_id: z.string(),
  playbook_id: z.string(),
  status: z.string(),
  channel: z.string(),
  flagged: z.boolean(),
  flag_reason: z.string().nullable().optional(),
  planned_at: z.string(),
  preview: z.string().optional().describe("First words of message_body (compact rows only)."),
});
export type CompactIntervention = z.infer<typeof CompactInterventionSchema>;

export function preview(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length <= PREVIEW_CHARS ? oneLine : `${oneLine.slice(0, PREVIEW_CHARS - 1)}…`;
}

/** `flag_reason` only when flagged: a null on every unflagged row is tokens for nothing. */
export function compactRow(row: Pick<DetailedIntervention, "id" | "user_id" | "playbook_id" | "status" | "channel" | "flagged" | "flag_reason" | "planned_at" | "message_body">): CompactIntervention {
  return {
    id: row.id,
    user_id: row.user_id,
    playbook_id: row.playbook_id,
    status: row.status,
    channel: row.channel,
    flagged: row.flagged,
    ...(row.flagged && row.flag_reason ? { flag_reason: row.flag_reason } : {}),
    planned_at: row.planned_at,
    preview: preview(row.message_body),
  };
}
