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

export const FLAG_REASON_CHARS = 120;

/**
 * One line, at most `max` characters, "…" when anything was cut (including by
 * the caller: `truncated` says the text handed in was already a prefix).
 */
export function oneLine(text: string, max: number, truncated = false): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= max && !truncated) return line;
  return `${line.slice(0, max - 1)}…`;
}

export function preview(text: string, truncated = false): string {
  return oneLine(text, PREVIEW_CHARS, truncated);
}

/**
 * `flag_reason` only when flagged (a null on every unflagged row is tokens for
 * nothing), on one line and short: an agent writes flag reasons, and a line
 * break in one must not pass for another row of the list. get_intervention
 * has the full text.
 */
export function compactRow(
  row: Pick<DetailedIntervention, "id" | "user_id" | "playbook_id" | "status" | "channel" | "flagged" | "flag_reason" | "planned_at"> &
    ({ message_body: string } | { preview: string }),
): CompactIntervention {
  return {
    id: row.id,
    user_id: row.user_id,
    playbook_id: row.playbook_id,
    status: row.status,
    channel: row.channel,
    flagged: row.flagged,
    ...(row.flagged && row.flag_reason ? { flag_reason: oneLine(row.flag_reason, FLAG_REASON_CHARS) } : {}),
    planned_at: row.planned_at,
    preview: "preview" in row ? row.preview : preview(row.message_body),
  };
}
