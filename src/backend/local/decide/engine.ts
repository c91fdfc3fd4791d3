/**
 * The deterministic decision engine behind dry-run (domain.md, "Dry-run"). It
 * also answers whether create may plan an intervention for a user, playbook
 * and channel: the same call, with every field of the request given. Pure:
 * it decides from the inputs index.ts gathers from the store, so the same
 * inputs always give the same decision.
 *
 * Order: unknown_user → kill_switch → opt_out → user_paused (shadow mode is
 * reported, never stops) → playbook matching (entry, then exit conditions) →
 * channel_allowed → cooldown / frequency_cap (wait) → escalation. Playbook
 * conditions are evaluated even when a gate fails, so `rules` and
 * `matched_playbooks` show what would apply once the gate clears.
 *
 * It only reads: a dry-run persists nothing. The cooldown and frequency-cap
 * rules live in holds.ts, the operator-facing sentences in reasoning.ts.
 */
import { CHANNELS, type Channel, type DryRunRequest, type DryRunResponse } from "../../../api/schemas.js";
import type { Customer, Playbook, TenantSettings } from "../../../domain/catalog.js";
import { countConditions, evaluateCondition, isEmptyGroup, userFacts, type UserFacts } from "../conditions.js";
import { evaluateHolds, type RecentIntervention } from "./holds.js";
import { describeChoice, explain } from "./reasoning.js";
import type { DecisionAction, PlaybookMatch, RuleResult } from "./types.js";

export type { DecisionAction, PlaybookMatch, RuleResult } from "./types.js";

/** What the engine decides from, gathered from the store in one place (index.ts). */
export interface DecisionInputs {
  tenant: TenantSettings;
  customer: Customer | undefined;
  /** The requested playbook (undefined when none was requested, or it does not exist). */
  requested: Playbook | undefined;
  /** Every active playbook, when none was requested. */
  active: Playbook[];
  /** The user's interventions created within the longest window any rule looks back. */
  recent: RecentIntervention[];
}

export interface DecisionOutcome {
  response: DryRunResponse;
  tenant: TenantSettings;
  /** Present when the user exists. */
  customer?: Customer;
  facts?: UserFacts;
  /** The playbook the decision is about (intervene, wait, escalate, and some skips). */
  playbook?: Playbook;
  /** The channel the intervention would use; set for intervene, wait and escalate. */
  channel?: Channel;
}

const ESCALATING_RISK = new Set(["high", "critical"]);

/**
 * Confidence that the planned intervention is the right move, 0.05..0.95:
 *
 *   confidence = 0.15 + 0.35·fit + 0.35·signal + 0.15·track
 *
 * - fit: how clearly the entry conditions held (a threshold met exactly counts
 *   0.5, a wide margin 1), so a borderline match is trusted less;
 * - signal: mean of activation_score, engagement_score and health (each
 *   clamped to 0..1) — a user who barely responds anymore is a weaker bet for an
 *   automated message, which is what makes high-risk users escalate;
 * - track: the playbook's success_rate, 0.5 when it has none yet.
 *
 * Clamped so the engine never claims certainty either way; rounded to two
 * decimals so the same inputs always compare the same against the threshold.
 */
export function confidenceFor(playbook: Playbook, facts: UserFacts, fit: number): number {
  const signal = (unit(facts.activation_score) + unit(facts.engagement_score) + unit(facts.health)) / 3;
  const track = typeof playbook.success_rate === "number" ? unit(playbook.success_rate) : 0.5;
  const raw = 0.15 + 0.35 * unit(fit) + 0.35 * signal + 0.15 * track;
  return Math.round(Math.min(0.95, Math.max(0.05, raw)) * 100) / 100;
}

/** Entry conditions hold and exit conditions do not; records both rules. */
export function matchPlaybook(playbook: Playbook, facts: UserFacts, rules: Record<string, RuleResult>): PlaybookMatch | undefined {
  const label = uniqueLabel(rules, playbook);
  const entry = evaluateCondition(playbook.entry_conditions, facts);
  rules[`entry_conditions:${label}`] = { passed: entry.passed, detail: entry.detail };
  if (!entry.passed) return undefined;
  const exit = evaluateCondition(playbook.exit_conditions, facts);
  rules[`exit_conditions:${label}`] = exit.passed
    ? { passed: false, detail: `exit condition met: ${exit.detail}` }
    : { passed: true, detail: isEmptyGroup(playbook.exit_conditions) ? "the playbook has no exit conditions" : `no exit condition met (${exit.detail})` };
  if (exit.passed) return undefined;
  return { playbook, fit: entry.fit, specificity: countConditions(playbook.entry_conditions), entryDetail: entry.detail };
}

/** Most specific first, then highest success rate, then name and id, so the choice never depends on row order. */
export function rankMatches(matches: PlaybookMatch[]): PlaybookMatch[] {
  return [...matches].sort(
    (a, b) =>
      b.specificity - a.specificity ||
      (b.playbook.success_rate ?? -1) - (a.playbook.success_rate ?? -1) ||
      byCodeUnits(a.playbook.name, b.playbook.name) ||
      byCodeUnits(a.playbook.id, b.playbook.id),
  );
}

// Not localeCompare: the order must not depend on the machine's locale.
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface DecideOptions {
  /**
   * Judge as if the kill switch were off (reported in `rules`, never a skip).
   * A manual create uses it: the switch only holds messages at dispatch, so
   * the engine's objections must be found while it is on, or an unflagged
   * override would go out, unacknowledged, once it is switched off.
   */
  ignoreKillSwitch?: boolean;
}

export function decideFrom(inputs: DecisionInputs, request: DryRunRequest, now: Date, options: DecideOptions = {}): DecisionOutcome {
  const { tenant, customer, requested } = inputs;
  const rules: Record<string, RuleResult> = {
    kill_switch: tenant.kill_switch_active
      ? { passed: false, detail: "the tenant's kill switch is active: nothing is planned or sent" }
      : { passed: true, detail: "kill switch is off" },
    shadow_mode: tenant.shadow_mode
      ? { passed: false, detail: "shadow mode is on: an intervention would be recorded and suppressed at dispatch, never sent" }
      : { passed: true, detail: "shadow mode is off" },
  };
  const finish = decisionBuilder(tenant, rules);

  if (!customer) {
    return finish({ action: "skip", reason: "unknown_user", reasoning: explain.unknownUser(request.user_id) });
  }
  const facts = userFacts(customer, now);
  rules.opt_out = customer.opted_out
    ? { passed: false, detail: "the user opted out of messages" }
    : { passed: true, detail: "the user has not opted out" };
  rules.user_paused = customer.paused
    ? { passed: false, detail: "the user is paused" }
    : { passed: true, detail: "the user is not paused" };
  const subject = { customer, facts };

  const candidates = request.playbook_id === undefined ? inputs.active : requested?.status === "active" ? [requested] : [];
  const matches = rankMatches(
    candidates.flatMap((playbook) => matchPlaybook(playbook, facts, rules) ?? []),
  );
  const matched = { ...subject, matchedCount: matches.length };

  const gate = firstFailedGate(rules, options.ignoreKillSwitch === true);
  if (gate) return finish({ ...matched, action: "skip", reason: gate, reasoning: explain.gate(gate, customer.id, matches.length) });
  if (request.playbook_id !== undefined && !requested) {
    return finish({ ...matched, action: "skip", reason: "unknown_playbook", reasoning: explain.unknownPlaybook(request.playbook_id) });
  }
  if (requested && requested.status !== "active") {
    return finish({ ...matched, playbook: requested, action: "skip", reason: "playbook_inactive", reasoning: explain.inactivePlaybook(requested) });
  }
  const chosen = matches[0];
  if (!chosen) {
    return finish({
      ...matched,
      action: "skip",
      reason: "no_matching_playbook",
      reasoning: explain.noMatch(customer, candidates, rules),
    });
  }

  const playbook = chosen.playbook;
  const confidence = confidenceFor(playbook, facts, chosen.fit);
  const withPlaybook = { ...matched, playbook, confidence };
  const choice = describeChoice(matches);

  const channel = pickChannel(request.channel, playbook);
  rules.channel_allowed = { passed: channel.allowed, detail: channel.detail };
  if (!channel.allowed) {
    return finish({ ...withPlaybook, action: "skip", reason: "channel_not_allowed", reasoning: explain.channelNotAllowed(playbook, channel.detail) });
  }

  const hold = evaluateHolds(inputs.recent, customer, playbook, now, rules);
  const withChannel = { ...withPlaybook, channel: channel.value };
  if (hold?.until === null) {
    // max_per_week 0: waiting would never end, so this playbook cannot reach the user at all.
    return finish({ ...withPlaybook, action: "skip", reason: "frequency_cap", reasoning: hold.reasoning });
  }
  if (hold) {
    return finish({ ...withChannel, action: "wait", reason: `${hold.rule}_until:${hold.until}`, reasoning: hold.reasoning });
  }

  const escalates = ESCALATING_RISK.has(facts.risk_level) && confidence < tenant.escalation_threshold;
  rules.escalation = escalates
    ? { passed: false, detail: `risk_level ${facts.risk_level} with confidence ${confidence} < escalation threshold ${tenant.escalation_threshold}` }
    : { passed: true, detail: explain.noEscalation(facts.risk_level, ESCALATING_RISK.has(facts.risk_level), confidence, tenant.escalation_threshold) };
  if (escalates) {
    return finish({
      ...withChannel,
      action: "escalate",
      reason: "high_risk_low_confidence",
      reasoning: explain.escalate(customer, playbook, tenant.escalation_threshold),
    });
  }
  return finish({
    ...withChannel,
    action: "intervene",
    reason: "",
    reasoning: explain.intervene(customer, chosen, choice, channel, tenant.shadow_mode),
  });
}

// ------------------------------------------------------------------ gates

const GATES: ReadonlyArray<[rule: string, reason: string]> = [
  ["kill_switch", "kill_switch_active"],
  ["opt_out", "opted_out"],
  ["user_paused", "user_paused"],
];

function firstFailedGate(rules: Record<string, RuleResult>, ignoreKillSwitch: boolean): string | undefined {
  return GATES.find(([rule]) => !(ignoreKillSwitch && rule === "kill_switch") && rules[rule]?.passed === false)?.[1];
}

// ------------------------------------------------------------------ channel

export type ChannelPick =
  | { allowed: true; value: Channel; source: string; detail: string }
  | { allowed: false; detail: string };

function pickChannel(requested: Channel | undefined, playbook: Playbook): ChannelPick {
  const allowed = allowedChannels(playbook);
  const [candidate, source] =
    requested !== undefined
      ? [requested, "requested"]
      : playbook.strategy_hints?.preferred_channel !== undefined
        ? [playbook.strategy_hints.preferred_channel, "the playbook's preferred channel"]
        : [allowed[0], "the playbook's first allowed channel"];
  if (candidate === undefined) return { allowed: false, detail: `playbook "${playbook.name}" allows no channel` };
  if (!allowed.includes(candidate)) {
    return {
      allowed: false,
      detail: `${String(candidate)} (${source}) is not among the playbook's channels: ${allowed.join(", ") || "none"}`,
    };
  }
  return { allowed: true, value: candidate, source, detail: `${candidate} (${source}) is among the playbook's channels: ${allowed.join(", ")}` };
}

function allowedChannels(playbook: Playbook): Channel[] {
  const channels: unknown = playbook.constraints?.channels;
  if (!Array.isArray(channels)) return [];
  return channels.filter((c): c is Channel => (CHANNELS as readonly unknown[]).includes(c));
}

// ------------------------------------------------------------------ response

interface Finish {
  action: DecisionAction;
  reason: string;
  reasoning: string;
  customer?: Customer;
  facts?: UserFacts;
  matchedCount?: number;
  playbook?: Playbook;
  channel?: Channel;
  confidence?: number;
}

function decisionBuilder(tenant: TenantSettings, rules: Record<string, RuleResult>) {
  return (f: Finish): DecisionOutcome => ({
    response: {
      dry_run: true,
      decision: {
        action: f.action,
        playbook_id: f.playbook?.id ?? "",
        // Our extension of the API's decision: agents and people name playbooks, not UUIDs.
        ...(f.playbook && { playbook_name: f.playbook.name }),
        channel: f.channel ?? "",
        confidence: f.confidence ?? 0,
        reasoning: f.reasoning,
        reason: f.reason,
      },
      rules,
      context: {
        lifecycle_stage: f.customer?.lifecycle_stage ?? "unknown",
        activation_score: f.customer?.activation_score ?? 0,
        risk_level: f.customer?.risk_level ?? "unknown",
        matched_playbooks: f.matchedCount ?? 0,
      },
    },
    tenant,
    ...(f.customer && { customer: f.customer }),
    ...(f.facts && { facts: f.facts }),
    ...(f.playbook && { playbook: f.playbook }),
    ...(f.channel && { channel: f.channel }),
  });
}

function uniqueLabel(rules: Record<string, RuleResult>, playbook: Playbook): string {
  return `entry_conditions:${playbook.name}` in rules ? `${playbook.name} (${playbook.id})` : playbook.name;
}

function unit(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
