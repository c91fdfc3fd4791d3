/**
 * How interventions are shown to a model: compact rows by default (a page of
 * 20 stays far under 10,000 tokens), the full object on request, and one-line
 * text summaries. Message bodies are model-written data, so the text labels
 * them as such and never lets them read as instructions.
 */
import { FLAG_REASON_CHARS, oneLine, type CompactIntervention } from "../api/compact.js";
import type { DetailedIntervention } from "../api/schemas.js";

/** `int_… planned email user-7 [FLAGGED: reason]`: always one line, whatever the reason holds. */
export function summaryLine(intervention: DetailedIntervention | CompactIntervention): string {
  const reason = intervention.flag_reason ? `: ${oneLine(intervention.flag_reason, FLAG_REASON_CHARS)}` : "";
  const flag = intervention.flagged ? ` [FLAGGED${reason}]` : "";
  return `${intervention.id} ${intervention.status} ${intervention.channel} ${intervention.user_id}${flag}`;
}
