/**
 * The operator-facing sentences of the decision engine: the `reasoning` of a
 * dry-run (and of the interventions create plans), and why one of several
 * matching playbooks won. Kept apart from decide.ts so the wording can change
 * without touching the order of the rules, and the rules without the wording.
 *
 * The sentences quote only values found in the inputs (scores, thresholds,
 * names, stored timestamps), never derived figures, so the
 * grounded_reasoning check holds for them too.
 */
import type { Channel } from "../../../api/schemas.js";
import type { Customer, Playbook } from "../../../domain/catalog.js";
import type { PlaybookMatch, RuleResult } from "./types.js";

export const explain = {
  unknownUser: (userId: string) => `No customer with user_id "${userId}" exists in this store, so nothing would be planned.`,
  gate(reason: string, userId: string, matchedCount: number): string {
    const why =
      reason === "kill_switch_active"
        ? `The tenant's kill switch is active, so nothing would be planned for ${userId}.`
        : reason === "opted_out"
          ? `${userId} has opted out of messages, so nothing would be planned.`
          : `${userId} is paused, so nothing would be planned.`;
    return matchedCount > 0 ? `${why} Otherwise a playbook would apply; see rules.` : why;
  },
  unknownPlaybook: (id: string) => `No playbook with id ${id} exists for this tenant.`,
  inactivePlaybook: (p: Playbook) => `Playbook "${p.name}" is ${p.status}; only active playbooks plan interventions.`,
  noMatch(customer: Customer, candidates: Playbook[], rules: Record<string, RuleResult>): string {
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (only) {
      const label = only.name;
      const failure = rules[`entry_conditions:${label}`]?.passed === false ? rules[`entry_conditions:${label}`] : rules[`exit_conditions:${label}`];
      return `"${only.name}" does not apply to ${customer.id}: ${failure?.detail ?? "its conditions do not hold"}.`;
    }
    return `No active playbook applies to ${customer.id} (stage ${customer.lifecycle_stage}, risk_level ${customer.risk_level}); see rules for each playbook's first failing condition.`;
  },
  channelNotAllowed: (p: Playbook, detail: string) => `"${p.name}" applies, but ${detail}.`,
  cooldown: (c: Customer, p: Playbook, hours: number, last: string) =>
    `"${p.name}" applies to ${c.id}, but its cooldown_hours of ${hours} has not passed since the last intervention for this user and playbook (created ${last}).`,
  frequencyCap: (c: Customer, p: Playbook, maxPerWeek: number) =>
    maxPerWeek === 0
      ? `"${p.name}" applies to ${c.id}, but its max_per_week of 0 allows no interventions.`
      : `"${p.name}" applies to ${c.id}, but the user has already reached the playbook's max_per_week of ${maxPerWeek} in the past week.`,
  // The engine says whether this risk level escalates at all, so the policy lives in one place (decide.ts).
  noEscalation: (risk: string, riskEscalates: boolean, confidence: number, threshold: number) =>
    riskEscalates
      ? `risk_level ${risk}, but confidence ${confidence} >= escalation threshold ${threshold}`
      : `risk_level ${risk} does not escalate`,
  escalate: (c: Customer, p: Playbook, threshold: number) =>
    `${c.id} is at ${c.risk_level} risk (health ${c.health}, engagement_score ${c.engagement_score}) and confidence in "${p.name}" is below the tenant's escalation threshold of ${threshold}; a human should handle this user directly.`,
  intervene(c: Customer, chosen: PlaybookMatch, choice: string, channel: { value: Channel; source: string }, shadow: boolean): string {
    const parts = [
      `"${chosen.playbook.name}" applies to ${c.id} (stage ${c.lifecycle_stage}): ${chosen.entryDetail}.`,
      choice,
      `It would go by ${channel.value} (${channel.source}).`,
      shadow ? "Shadow mode is on, so it would be recorded and suppressed at dispatch, not sent." : "",
    ];
    return parts.filter(Boolean).join(" ");
  },
};

/** Says why the first of several matching playbooks won, by the tie-breaker that decided it. */
export function describeChoice(ranked: PlaybookMatch[]): string {
  const [first, second] = ranked;
  if (!first || !second) return "";
  const others = ranked.slice(1).map((m) => `"${m.playbook.name}"`).join(", ");
  if (first.specificity !== second.specificity) return `Chosen over ${others} as the most specific matching playbook.`;
  const [a, b] = [first.playbook.success_rate, second.playbook.success_rate];
  if (a !== b && a !== null) {
    return `Chosen over ${others} for the highest success rate (${a}${b === null ? "" : ` vs ${b}`}).`;
  }
  return `Chosen over ${others}, equally specific with the same success rate, by name.`;
}
