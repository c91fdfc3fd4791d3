/**
 * The two waiting rules of the decision engine (domain.md, "Dry-run"):
 * cooldown_hours per user and playbook, and max_per_week across all of a
 * user's playbooks. Kept apart from engine.ts because they are the only rules
 * that look at the user's earlier interventions; the rest of the engine looks
 * at the tenant, customer and playbook alone.
 */
import type { Customer, Playbook } from "../../../domain/catalog.js";
import { explain } from "./reasoning.js";
import type { RuleResult } from "./types.js";

const HOUR_MS = 3_600_000;
export const WEEK_MS = 7 * 24 * HOUR_MS;

/** How far back the rules look for `playbooks`: the week of the weekly cap, or a longer cooldown. */
export function lookBackStart(playbooks: readonly Playbook[], now: Date): string {
  const hours = Math.max(0, ...playbooks.map((p) => nonNegative(p.constraints?.cooldown_hours, 0)));
  return new Date(now.getTime() - Math.max(WEEK_MS, hours * HOUR_MS)).toISOString();
}

export interface Hold {
  rule: "cooldown" | "frequency_cap";
  /** ISO time the hold lifts; null when it never does (max_per_week 0). */
  until: string | null;
  reasoning: string;
}

/** Records cooldown and frequency_cap; returns the hold that lasts longer, if any. */
export function evaluateHolds(
  recentSinceLookBack: readonly RecentIntervention[],
  customer: Customer,
  playbook: Playbook,
  now: Date,
  rules: Record<string, RuleResult>,
): Hold | undefined {
  const cooldownHours = nonNegative(playbook.constraints?.cooldown_hours, 0);
  const maxPerWeek = nonNegative(playbook.constraints?.max_per_week, Number.POSITIVE_INFINITY);
  const weekAgo = new Date(now.getTime() - WEEK_MS).toISOString();
  const cooldownStart = new Date(now.getTime() - cooldownHours * HOUR_MS).toISOString();
  const since = cooldownStart < weekAgo ? cooldownStart : weekAgo;
  const recent = recentSinceLookBack.filter((r) => r.created_at > since);
  const holds: Hold[] = [];

  const lastForPlaybook = recent.filter((r) => r.playbook_id === playbook.id && r.created_at > cooldownStart).at(-1);
  if (lastForPlaybook && cooldownHours > 0) {
    const last = lastForPlaybook.created_at;
    const until = new Date(Date.parse(last) + cooldownHours * HOUR_MS).toISOString();
    rules.cooldown = { passed: false, detail: `last intervention for this playbook created ${last}; cooldown_hours ${cooldownHours}, until ${until}` };
    holds.push({ rule: "cooldown", until, reasoning: explain.cooldown(customer, playbook, cooldownHours, last) });
  } else {
    rules.cooldown = { passed: true, detail: `no intervention for this playbook within cooldown_hours ${cooldownHours}` };
  }

  const counted = recent.filter((r) => r.created_at > weekAgo && !UNCOUNTED_STATUSES.has(r.status)).map((r) => r.created_at);
  const cap = Number.isFinite(maxPerWeek) ? String(maxPerWeek) : "none";
  if (counted.length >= maxPerWeek) {
    // The cap lifts when enough of this week's interventions age out to leave room for one more.
    const freeing = counted[counted.length - maxPerWeek];
    const until = freeing === undefined ? null : new Date(Date.parse(freeing) + WEEK_MS).toISOString();
    rules.frequency_cap = {
      passed: false,
      detail: `${counted.length} interventions in the last 7 days; max_per_week ${cap}; ${until ? `until ${until}` : "never lifts"}`,
    };
    holds.push({ rule: "frequency_cap", until, reasoning: explain.frequencyCap(customer, playbook, maxPerWeek) });
  } else {
    rules.frequency_cap = { passed: true, detail: `${counted.length} interventions in the last 7 days; max_per_week ${cap}` };
  }
  return holds.reduce<Hold | undefined>((longest, hold) => (!longest || liftsLater(hold, longest) ? hold : longest), undefined);
}

function liftsLater(a: Hold, b: Hold): boolean {
  if (a.until === null) return b.until !== null;
  return b.until !== null && a.until > b.until;
}

/** Rejected and suppressed interventions never reached the user, so they do not count toward the cap. */
const UNCOUNTED_STATUSES = new Set(["rejected", "suppressed"]);

/** One of the user's earlier interventions, oldest first. */
export interface RecentIntervention {
  playbook_id: string;
  status: string;
  created_at: string;
}

function nonNegative(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : fallback;
}
