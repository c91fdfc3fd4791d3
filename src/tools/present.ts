/**
 * How interventions are shown to a model: compact rows by default (a page of
 * 20 stays far under 10,000 tokens), the full object on request, and one-line
 * text summaries. Message bodies are model-written data, so the text labels
 * them as such and never lets them read as instructions.
 */
import type { CompactIntervention } from "../api/compact.js";
import type { DetailedIntervention } from "../api/schemas.js";

/** `int_… planned email user-7 [FLAGGED: reason]` */
export function summaryLine(intervention: DetailedIntervention | CompactIntervention): string {
  const flag = intervention.flagged ? ` [FLAGGED${intervention.flag_reason ? `: ${intervention.flag_reason}` : ""}]` : "";
  return `${intervention.id} ${intervention.status} ${intervention.channel} ${intervention.user_id}${flag}`;
}
