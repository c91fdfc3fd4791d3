/**
 * The demo interventions: 60 of them across every status (STATUS_COUNTS), some
 * planted to fail a check or be flagged (seed-planted.ts), each for a customer the playbook really matches
 * where one is left, with a message, timeline and quality checks that agree
 * with its status. Kept apart from seed.ts because it is the one part of the
 * data set that depends on the others (customers, playbooks) and on the
 * decision engine's confidence formula.
 *
 * Draws from the same Rng as seed.ts, after its customers, in a fixed
 * order: moving a draw changes every id and timestamp that follows it.
 */
import { STATUSES, type Channel, type Status } from "../../api/schemas.js";
import { withFooter } from "../../writer/footer.js";
import { flagFromChecks, runQualityChecks } from "../../writer/quality.js";
import type { Customer, MessagePolicy, Playbook, TenantSettings } from "../../domain/catalog.js";
import { evaluateCondition, userFacts } from "./conditions.js";
import { consentFlagReason } from "../../domain/consent.js";
import { confidenceFor } from "./decide/index.js";
import type { NewIntervention, SeededIntervention } from "../../store/index.js";
import type { Rng } from "./random.js";
import {
  AGE_HOURS,
  AREA_STAGES,
  MESSAGES,
  REJECT_REASONS,
  ROLLBACK_REASONS,
  STATUS_COUNTS,
  SUPPRESS_REASONS,
  type MessageFacts,
  type PlaybookKey,
} from "./seed-data.js";
import { PLANTED, type PlantedFooter, type PlantedMessage } from "./seed-planted.js";
import { iso, MINUTE_MS } from "./seed-time.js";
import { writerInputFor } from "./writer-input.js";

/** Seeded text is hand-written data, not a model's: provenance says so. */
const SEED_PROVENANCE = { provider: "seed", generated: false, model: "none", prompt_id: "seed", prompt_hash: "seed" };

/** A playbook the seed wrote, with the seed-data key that names its messages. */
export interface SeededPlaybook {
  key: PlaybookKey;
  playbook: Playbook;
}

const ACTIVE_KEYS: readonly PlaybookKey[] = ["onboarding", "churn", "retention", "upsell", "winback7", "winback30", "winback60"];

interface Slot {
  status: Status;
  key: PlaybookKey;
  scenario?: PlantedMessage;
  channel?: Channel;
}

export function buildInterventions(
  rng: Rng,
  now: Date,
  tenant: TenantSettings,
  customers: Customer[],
  playbooks: SeededPlaybook[],
): SeededIntervention[] {
  const used = new Set<string>();
  const built = planSlots(rng).map((slot) => {
    const { key, playbook } = playbooks.find((p) => p.key === slot.key)!;
    const customer = pickCustomer(rng, customers, playbook, slot, used, now);
    used.add(customer.id);
    return composeIntervention(rng, now, tenant, slot, key, playbook, customer);
  });
  // Insert oldest first, so seq order (the list's newest-first order) follows created_at.
  const key = (i: SeededIntervention) => `${i.row.created_at} ${i.row.id}`;
  return built.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function planSlots(rng: Rng): Slot[] {
  const slots: Slot[] = [];
  for (const status of STATUSES) {
    const scenarios = PLANTED.filter((s) => s.status === status);
    for (let i = 0; i < STATUS_COUNTS[status]; i++) {
      const scenario = scenarios[i];
      if (scenario) slots.push({ status, key: scenario.playbook, scenario, channel: scenario.channel });
      // Failed deliveries are webhooks that never got through, or email that bounced.
      else if (status === "failed") slots.push({ status, key: "churn", channel: i % 2 === 0 ? "webhook" : "email" });
      // Two old deliveries come from the playbook that has since been archived.
      else if (status === "delivered" && i < 2) slots.push({ status, key: "legacy" });
      else slots.push({ status, key: rng.pick(ACTIVE_KEYS) });
    }
  }
  return slots;
}

/**
 * Prefers an unused customer the playbook really matches. Suppressed ones go to
 * opted-out or paused users, and so does a planted consent case (opted out
 * after it was planned); everyone else can still be messaged.
 */
function pickCustomer(rng: Rng, customers: Customer[], playbook: Playbook, slot: Slot, used: Set<string>, now: Date): Customer {
  const reachable = slot.scenario?.consent
    ? customers.filter((c) => c.opted_out)
    : customers.filter((c) => (slot.status === "suppressed") === (c.opted_out || c.paused));
  const fresh = reachable.filter((c) => !used.has(c.id));
  const matching = fresh.filter((c) => evaluateCondition(playbook.entry_conditions, userFacts(c, now)).passed);
  const inArea = fresh.filter((c) => AREA_STAGES[playbook.lifecycle_area].includes(c.lifecycle_stage));
  const pool = [matching, inArea, fresh, reachable].find((candidates) => candidates.length > 0)!;
  return rng.pick(pool);
}

function composeIntervention(
  rng: Rng,
  now: Date,
  tenant: TenantSettings,
  slot: Slot,
  key: PlaybookKey,
  playbook: Playbook,
  customer: Customer,
): SeededIntervention {
  const facts = userFacts(customer, now);
  const message = messageFacts(customer, facts);
  const channel = slot.channel ?? pickChannel(rng, playbook);
  const template = MESSAGES[key];
  const text = slot.scenario ? slot.scenario.body(message) : channel === "email" ? template.email(message) : template.in_app(message);
  const body = withFooter(text, channel, footerPolicy(tenant.policy, slot.scenario?.footer ?? "full"), false);
  const subject = channel === "email" ? (slot.scenario ? slot.scenario.subject : template.subject(message)) : null;
  const entry = evaluateCondition(playbook.entry_conditions, facts);
  const earliest = Math.max(Date.parse(customer.created_at), Date.parse(playbook.created_at), Date.parse(customer.churned_at ?? "1970-01-01T00:00:00.000Z"));
  const times = timelineFor(rng, slot.status, now, earliest);
  const id = rng.interventionId();
  const provenance = slot.scenario?.provenance ?? SEED_PROVENANCE;
  const reasoning = template.reasoning(message);
  // The writer's own checks, on the writer's own input: what a seeded message fails is what they really say.
  const input = writerInputFor({ customer, playbook, tenant, channel, purpose: "intervention", variationKey: id, now });
  const qualityChecks = runQualityChecks({ subject, message_body: body, reasoning, offer_ids: [], generated: provenance.generated }, input);
  const flag = flagFor(slot.scenario, qualityChecks, customer);
  const row: NewIntervention = {
    id,
    tenant_id: tenant.id,
    user_id: customer.id,
    playbook_id: playbook.id,
    status: slot.status,
    channel,
    subject,
    message_body: body,
    reasoning,
    confidence: confidenceFor(playbook, facts, entry.passed ? entry.fit : 0.5),
    ...times,
    flagged: flag ? 1 : 0,
    flag_reason: flag,
    quality_checks: JSON.stringify(qualityChecks),
    reject_reason: slot.status === "rejected" ? (slot.scenario ? "Offer not approved for this segment." : rng.pick(REJECT_REASONS)) : null,
    rollback_reason: slot.status === "rolled_back" ? (slot.scenario ? ROLLBACK_REASONS[1]! : rng.pick(ROLLBACK_REASONS)) : null,
    suppress_reason: slot.status === "suppressed" ? (customer.opted_out ? SUPPRESS_REASONS.opted_out : SUPPRESS_REASONS.paused) : null,
    origin: key === "legacy" ? "playbook" : rng.weighted([["playbook", 70], ["manual", 20], ["recommendation", 10]] as const),
    provenance: JSON.stringify(provenance),
  };
  return { row, inbox: channel === "in_app" && row.delivered_at !== null };
}

/** The tenant's policy with the parts of the footer a planted message leaves out removed. */
function footerPolicy(policy: MessagePolicy, footer: PlantedFooter): MessagePolicy {
  if (footer === "no_unsubscribe") return { ...policy, unsubscribe: null };
  if (footer === "no_address") return { ...policy, postal_address: null };
  return policy;
}

/** A consent case, a failed error check or a human's flag, in that order; null for the rest. */
function flagFor(scenario: PlantedMessage | undefined, checks: ReturnType<typeof runQualityChecks>, customer: Customer): string | null {
  if (scenario?.consent) return consentFlagReason(customer.id, "opted_out");
  return flagFromChecks(checks).flag_reason ?? scenario?.human_flag ?? null;
}

function pickChannel(rng: Rng, playbook: Playbook): Channel {
  const preferred = playbook.strategy_hints.preferred_channel;
  // No webhook endpoint is configured in the demo tenant, so only failed slots use that channel.
  const others = playbook.constraints.channels.filter((c) => c !== preferred && c !== "webhook");
  if (preferred && (others.length === 0 || rng.chance(0.75))) return preferred;
  return others.length > 0 ? rng.pick(others) : "email";
}

function messageFacts(customer: Customer, facts: ReturnType<typeof userFacts>): MessageFacts {
  return {
    firstName: customer.name.split(" ")[0]!,
    company: customer.company ?? "your team",
    activation: customer.activation_score,
    engagement: customer.engagement_score,
    expansion: customer.expansion_score,
    health: customer.health,
    risk: customer.risk_level,
    stage: customer.lifecycle_stage,
    daysInactive: facts.days_since_last_activity,
    daysSinceChurn: facts.days_since_churn,
  };
}

type Timeline = Pick<NewIntervention, "created_at" | "planned_at" | "approved_at" | "sent_at" | "delivered_at" | "rolled_back_at">;

/**
 * Timestamps in lifecycle order, each reached only if the status implies it,
 * never before `earliest` (the customer's signup, churn, the playbook's
 * creation) and never after `now` except a planned_at still ahead.
 */
function timelineFor(rng: Rng, status: Status, now: Date, earliest: number): Timeline {
  const wasApproved = !["planned", "paused", "rejected"].includes(status);
  const wasSent = ["sent", "delivered", "failed", "rolled_back"].includes(status);
  const wasDelivered = status === "delivered" || status === "rolled_back";
  const steps = {
    approve: wasApproved ? rng.int(30, 300) * MINUTE_MS : 0,
    // Approved-but-waiting interventions are due in the future; the others' planned_at has passed.
    plan: wasApproved && status !== "approved" ? rng.int(0, 720) * MINUTE_MS : 0,
    send: wasSent ? rng.int(1, 10) * MINUTE_MS : 0,
    deliver: wasDelivered ? rng.int(2, 90) * 1000 : 0,
    rollback: status === "rolled_back" ? rng.int(10, 1200) * MINUTE_MS : 0,
  };
  const pastSpan = steps.approve + steps.plan + steps.send + steps.deliver + steps.rollback;
  const room = Math.max(0, now.getTime() - earliest - MINUTE_MS);
  // A young account leaves less room: squeeze the steps rather than predate the signup.
  const squeeze = pastSpan > room * 0.8 ? (room * 0.8) / pastSpan : 1;
  const ageMs = Math.min(room, Math.max(pastSpan * squeeze + MINUTE_MS, rng.int(AGE_HOURS[status][0] * 60, AGE_HOURS[status][1] * 60) * MINUTE_MS));
  const created = now.getTime() - ageMs;
  const approved = created + steps.approve * squeeze;
  const plannedPast = approved + steps.plan * squeeze;
  const sent = plannedPast + steps.send * squeeze;
  const delivered = sent + steps.deliver * squeeze;
  const planned =
    status === "approved"
      ? now.getTime() + rng.int(2 * 60, 72 * 60) * MINUTE_MS
      : wasApproved
        ? plannedPast
        : created + rng.int(2 * 60, 96 * 60) * MINUTE_MS;
  return {
    created_at: iso(created),
    planned_at: iso(planned),
    approved_at: wasApproved ? iso(approved) : null,
    sent_at: wasSent ? iso(sent) : null,
    delivered_at: wasDelivered ? iso(delivered) : null,
    rolled_back_at: status === "rolled_back" ? iso(delivered + steps.rollback * squeeze) : null,
  };
}
