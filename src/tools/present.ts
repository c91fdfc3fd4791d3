/**
 * How interventions are shown to a model: compact rows by default (a page of
 * 20 stays far under 10,000 tokens), the full object on request, and one-line
 * text summaries. The text is what a client that forwards only text content
 * gives its model, so it carries what a decision needs (status, schedule,
 * flag, the first words of the message). Message bodies are model-written
 * data: the text quotes them as JSON strings and labels them, so they never
 * read as instructions or as another row.
 */
import { FLAG_REASON_CHARS, oneLine, type CompactIntervention } from "../api/compact.js";
import type { DetailedIntervention } from "../api/schemas.js";
import { oncePerFrozen } from "./once-per-frozen.js";

/** `int_… planned email user-7 [FLAGGED: reason]`: always one line, whatever the reason holds. */
export function summaryLine(intervention: DetailedIntervention | CompactIntervention): string {
  const reason = intervention.flag_reason ? `: ${oneLine(intervention.flag_reason, FLAG_REASON_CHARS)}` : "";
  const flag = intervention.flagged ? ` [FLAGGED${reason}]` : "";
  return `${intervention.id} ${intervention.status} ${intervention.channel} ${intervention.user_id}${flag}`;
}

/** One list row: the summary, when it is planned for, and its preview quoted as data. Made once per row the store shares. */
export const rowLine = oncePerFrozen((row: CompactIntervention): string => {
  const preview = row.preview === undefined ? "" : ` ${JSON.stringify(row.preview)}`;
  return `${summaryLine(row)} planned_at ${row.planned_at}${preview}`;
});
