/**
 * The demo data set of the local store: a tenant with brand context, a
 * playbook per lifecycle area (win-back as its 7/30/60-day series, plus one
 * archived), 200 customers across every stage, score range and risk level,
 * and 60 interventions in every status, some flagged.
 *
 * Deterministic: every value comes from a PRNG seeded by (seed, tenant) and
 * every timestamp from `now`, so the same inputs write the same rows. The
 * tenant is part of the PRNG seed because intervention ids are unique across
 * the whole file, and the REST server keeps a 'test' tenant beside 'live'.
 */
import { createHash } from "node:crypto";
import { STATUSES, type Channel, type QualityCheck, type QualityChecks, type Status } from "../../api/schemas.js";
import { appendAudit } from "./audit.js";
import { LIFECYCLE_STAGES, type Customer, type LifecycleStage, type Playbook } from "./catalog.js";
import { evaluateCondition, userFacts } from "./conditions.js";
import { confidenceFor } from "./decide.js";
import { insertRow, type NewIntervention } from "./interventions-repo.js";
import {
  AGE_HOURS,
  AREA_STAGES,
  BRAND,
  COMPANIES,
  FIRST_NAMES,
  FLAG_SCENARIOS,
  LAST_NAMES,
  LENGTH_LIMITS,
  LOCALES,
  MESSAGES,
  OPTED_OUT_USERS,
  PAUSED_USERS,
  PLAYBOOKS,
  PRODUCT_NAME,
  REJECT_REASONS,
  ROLES,
  ROLLBACK_REASONS,
  STAGE_COUNTS,
  STAGE_PROFILES,
  STATUS_COUNTS,
  SUPPRESS_REASONS,
  TEAM_SIZES,
  type FlagScenario,
  type MessageFacts,
  type PlaybookKey,
} from "./seed-data.js";
import type { Db } from "./store.js";

export interface SeedOptions {
  tenantId: string;
  seed: number;
  now?: Date;
}

export interface SeedSummary {
  tenant_id: string;
  seed: number;
  playbooks: number;
  customers: number;
  interventions: number;
  by_status: Record<Status, number>;
  by_stage: Record<LifecycleStage, number>;
  by_risk: Record<string, number>;
  flagged: number;
  opted_out: number;
  paused: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const ACTOR = "system:seed";
const SEED_PROVENANCE = { provider: "seed", model: "none", prompt_id: "seed", prompt_hash: "seed" };

/** Seeds `tenantId` unless it already exists; the check and the writes share one transaction. */
export function ensureSeeded(db: Db, tenantId: string, seed: number, now = new Date()): SeedSummary | null {
  return db
    .transaction(() => (tenantExists(db, tenantId) ? null : seedStore(db, { tenantId, seed, now })))
    .immediate();
}

/** Writes the whole demo data set for a tenant that does not exist yet, in one transaction. */
export function seedStore(db: Db, options: SeedOptions): SeedSummary {
  const now = options.now ?? new Date();
  const rng = new Rng(prngSeed(options.seed, options.tenantId));
  return db.transaction(() => {
    if (tenantExists(db, options.tenantId)) {
      throw new Error(`Tenant '${options.tenantId}' already has data; seed a fresh store or another tenant.`);
    }
    insertTenant(db, options.tenantId, now);
    const playbooks = buildPlaybooks(rng, now);
    for (const { playbook } of playbooks) insertPlaybook(db, options.tenantId, playbook);
    const customers = buildCustomers(rng, now);
    for (const customer of customers) insertCustomer(db, options.tenantId, customer);
    const interventions = buildInterventions(rng, now, options.tenantId, customers, playbooks);
    for (const intervention of interventions) insertIntervention(db, intervention);
    const summary = summarize(options, playbooks.length, customers, interventions);
    appendAudit(
      db,
      {
        tenant_id: options.tenantId,
        event: "seed",
        actor: ACTOR,
        detail: { seed: summary.seed, playbooks: summary.playbooks, customers: summary.customers, interventions: summary.interventions },
      },
      now,
    );
    return summary;
  })();
}

function tenantExists(db: Db, tenantId: string): boolean {
  return db.prepare("SELECT 1 FROM tenants WHERE id = ?").get(tenantId) !== undefined;
}

// ------------------------------------------------------------------ PRNG

function prngSeed(seed: number, tenantId: string): number {
  return createHash("sha256").update(`${seed}:${tenantId}`).digest().readUInt32LE(0);
}

/** mulberry32: tiny, fast, and good enough to make demo data look unplanned. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** Two-decimal number in [min, max]: scores read like the product's. */
  score(min: number, max: number): number {
    return round2(min + this.next() * (max - min));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    let roll = this.next() * items.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [item, weight] of items) if ((roll -= weight) < 0) return item;
    return items[items.length - 1]![0];
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  /** A format-valid v4 UUID (version and variant bits set). */
  uuid(): string {
    const bytes = Array.from({ length: 16 }, () => this.int(0, 255));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  /** `int_` + 20 lowercase alphanumerics, as domain.md fixes. */
  interventionId(): string {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    return "int_" + Array.from({ length: 20 }, () => alphabet[this.int(0, alphabet.length - 1)]).join("");
  }
}

// ------------------------------------------------------------------ tenant and playbooks

function insertTenant(db: Db, tenantId: string, now: Date): void {
  db.prepare(
    `INSERT INTO tenants (id, name, kill_switch_active, shadow_mode, product_description, tone_guidelines,
       things_to_mention, things_to_avoid, webhook_url, webhook_secret, escalation_threshold, created_at)
     VALUES (?, ?, 0, 0, ?, ?, ?, ?, NULL, NULL, 0.6, ?)`,
  ).run(
    tenantId,
    tenantId === "live" ? `${PRODUCT_NAME} Analytics` : `${PRODUCT_NAME} Analytics (${tenantId})`,
    BRAND.product_description,
    BRAND.tone_guidelines,
    JSON.stringify(BRAND.things_to_mention),
    JSON.stringify(BRAND.things_to_avoid),
    isoAt(now, -400 * DAY_MS),
  );
}

interface SeededPlaybook {
  key: PlaybookKey;
  playbook: Playbook;
}

function buildPlaybooks(rng: Rng, now: Date): SeededPlaybook[] {
  return PLAYBOOKS.map(({ key, ...spec }) => {
    const createdAt = isoAt(now, -rng.int(120, 360) * DAY_MS - rng.int(0, 1439) * MINUTE_MS);
    // The archived playbook was retired a while ago, so its interventions are old ones.
    const statusChangedAt = spec.status === "archived" ? isoAt(now, -rng.int(30, 60) * DAY_MS) : createdAt;
    return { key, playbook: { id: rng.uuid(), ...spec, created_at: createdAt, status_changed_at: statusChangedAt } };
  });
}

/** Writes one playbook row; exported for tests that need a playbook of their own. */
export function insertPlaybook(db: Db, tenantId: string, p: Playbook): void {
  db.prepare(
    `INSERT INTO playbooks (tenant_id, id, name, status, lifecycle_area, entry_conditions, exit_conditions, constraints,
       strategy_hints, created_at, status_changed_at, success_rate)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    tenantId,
    p.id,
    p.name,
    p.status,
    p.lifecycle_area,
    JSON.stringify(p.entry_conditions),
    JSON.stringify(p.exit_conditions),
    JSON.stringify(p.constraints),
    JSON.stringify(p.strategy_hints),
    p.created_at,
    p.status_changed_at,
    p.success_rate,
  );
}

// ------------------------------------------------------------------ customers

function buildCustomers(rng: Rng, now: Date): Customer[] {
  const stages = rng.shuffle(LIFECYCLE_STAGES.flatMap((stage) => Array<LifecycleStage>(STAGE_COUNTS[stage]).fill(stage)));
  const order = rng.shuffle(stages.map((_, i) => i));
  const optedOut = new Set(order.slice(0, OPTED_OUT_USERS));
  const paused = new Set(order.slice(OPTED_OUT_USERS, OPTED_OUT_USERS + PAUSED_USERS));
  const emails = new Set<string>();
  return stages.map((stage, i) => ({
    ...person(rng, emails),
    ...stageFacts(rng, stage, now),
    id: `user-${i + 1}`,
    opted_out: optedOut.has(i),
    paused: paused.has(i),
  }));
}

function person(rng: Rng, taken: Set<string>) {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const company = rng.pick(COMPANIES);
  const local = rng.chance(0.7) ? `${slug(first)}.${slug(last)}` : `${slug(first).charAt(0)}${slug(last)}`;
  let email = `${local}@${company.domain}`;
  for (let n = 2; taken.has(email); n++) email = `${local}${n}@${company.domain}`;
  taken.add(email);
  return {
    name: `${first} ${last}`,
    email,
    company: company.name,
    role: rng.pick(ROLES),
    team_size: rng.pick(TEAM_SIZES),
    locale: rng.weighted(LOCALES),
  };
}

function stageFacts(rng: Rng, stage: LifecycleStage, now: Date) {
  const profile = STAGE_PROFILES[stage];
  const ageMs = rng.int(profile.ageDays[0], profile.ageDays[1]) * DAY_MS + rng.int(60, 1439) * MINUTE_MS;
  const churnedMs = profile.churnedDays && rng.int(profile.churnedDays[0], profile.churnedDays[1]) * DAY_MS + rng.int(0, 1439) * MINUTE_MS;
  // A churned user's last activity precedes the churn; everyone else's follows their signup.
  const sinceActivityMs =
    stage === "churned"
      ? churnedMs! + rng.int(profile.inactiveDays[0], profile.inactiveDays[1]) * DAY_MS
      : Math.min(ageMs, rng.int(profile.inactiveDays[0], profile.inactiveDays[1]) * DAY_MS + rng.int(0, 1439) * MINUTE_MS);
  const activation = rng.score(...profile.activation);
  const engagement = rng.score(...profile.engagement);
  const recency = Math.max(0, 1 - sinceActivityMs / (30 * DAY_MS));
  const health = round2(clamp01(0.45 * engagement + 0.35 * activation + 0.2 * recency + rng.score(-0.05, 0.05)));
  return {
    lifecycle_stage: stage,
    activation_score: activation,
    engagement_score: engagement,
    expansion_score: rng.score(...profile.expansion),
    health,
    risk_level: riskFor(stage, health),
    last_activity_at: isoAt(now, -sinceActivityMs),
    churned_at: churnedMs === undefined ? null : isoAt(now, -churnedMs),
    created_at: isoAt(now, -ageMs),
  };
}

function riskFor(stage: LifecycleStage, health: number): string {
  const risk = health >= 0.65 ? "low" : health >= 0.45 ? "medium" : health >= 0.28 ? "high" : "critical";
  // A brand-new account has too little history to be called high risk.
  return stage === "new" && (risk === "high" || risk === "critical") ? "medium" : risk;
}

/** Writes one customer row; exported for tests that need a customer of their own. */
export function insertCustomer(db: Db, tenantId: string, c: Customer): void {
  db.prepare(
    `INSERT INTO customers (tenant_id, id, name, email, company, role, team_size, locale, lifecycle_stage,
       activation_score, engagement_score, expansion_score, health, risk_level, opted_out, paused,
       last_activity_at, churned_at, created_at)
     VALUES (@tenant_id, @id, @name, @email, @company, @role, @team_size, @locale, @lifecycle_stage,
       @activation_score, @engagement_score, @expansion_score, @health, @risk_level, @opted_out, @paused,
       @last_activity_at, @churned_at, @created_at)`,
  ).run({ ...c, tenant_id: tenantId, opted_out: c.opted_out ? 1 : 0, paused: c.paused ? 1 : 0 });
}

// ------------------------------------------------------------------ interventions

const ACTIVE_KEYS: readonly PlaybookKey[] = ["onboarding", "churn", "retention", "upsell", "winback7", "winback30", "winback60"];

interface SeededIntervention {
  row: NewIntervention;
  inbox: boolean;
}

interface Slot {
  status: Status;
  key: PlaybookKey;
  scenario?: FlagScenario;
  channel?: Channel;
}

function buildInterventions(
  rng: Rng,
  now: Date,
  tenantId: string,
  customers: Customer[],
  playbooks: SeededPlaybook[],
): SeededIntervention[] {
  const used = new Set<string>();
  const built = planSlots(rng).map((slot) => {
    const { key, playbook } = playbooks.find((p) => p.key === slot.key)!;
    const customer = pickCustomer(rng, customers, playbook, slot.status, used, now);
    used.add(customer.id);
    return composeIntervention(rng, now, tenantId, slot, key, playbook, customer);
  });
  // Insert oldest first, so seq order (the list's newest-first order) follows created_at.
  const key = (i: SeededIntervention) => `${i.row.created_at} ${i.row.id}`;
  return built.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function planSlots(rng: Rng): Slot[] {
  const slots: Slot[] = [];
  for (const status of STATUSES) {
    const scenarios = FLAG_SCENARIOS.filter((s) => s.status === status);
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

/** Prefers an unused customer the playbook really matches; suppressed ones go to opted-out or paused users. */
function pickCustomer(rng: Rng, customers: Customer[], playbook: Playbook, status: Status, used: Set<string>, now: Date): Customer {
  const reachable = customers.filter((c) => (status === "suppressed") === (c.opted_out || c.paused));
  const fresh = reachable.filter((c) => !used.has(c.id));
  const matching = fresh.filter((c) => evaluateCondition(playbook.entry_conditions, userFacts(c, now)).passed);
  const inArea = fresh.filter((c) => AREA_STAGES[playbook.lifecycle_area].includes(c.lifecycle_stage));
  const pool = [matching, inArea, fresh, reachable].find((candidates) => candidates.length > 0)!;
  return rng.pick(pool);
}

function composeIntervention(
  rng: Rng,
  now: Date,
  tenantId: string,
  slot: Slot,
  key: PlaybookKey,
  playbook: Playbook,
  customer: Customer,
): SeededIntervention {
  const facts = userFacts(customer, now);
  const message = messageFacts(customer, facts);
  const channel = slot.channel ?? pickChannel(rng, playbook);
  const template = MESSAGES[key];
  const body = slot.scenario ? slot.scenario.body(message) : channel === "email" ? template.email(message) : template.in_app(message);
  const subject = channel === "email" ? (slot.scenario ? slot.scenario.subject : template.subject(message)) : null;
  const entry = evaluateCondition(playbook.entry_conditions, facts);
  const earliest = Math.max(Date.parse(customer.created_at), Date.parse(playbook.created_at), Date.parse(customer.churned_at ?? "1970-01-01T00:00:00.000Z"));
  const times = timelineFor(rng, slot.status, now, earliest);
  const qualityChecks = qualityChecksFor(body, subject, channel, slot.scenario?.failing ?? null);
  const row: NewIntervention = {
    id: rng.interventionId(),
    tenant_id: tenantId,
    user_id: customer.id,
    playbook_id: playbook.id,
    status: slot.status,
    channel,
    subject,
    message_body: body,
    reasoning: template.reasoning(message),
    confidence: confidenceFor(playbook, facts, entry.passed ? entry.fit : 0.5),
    ...times,
    flagged: slot.scenario ? 1 : 0,
    flag_reason: slot.scenario?.flag_reason ?? null,
    quality_checks: JSON.stringify(qualityChecks),
    reject_reason: slot.status === "rejected" ? (slot.scenario ? "Offer not approved for this segment." : rng.pick(REJECT_REASONS)) : null,
    rollback_reason: slot.status === "rolled_back" ? (slot.scenario ? ROLLBACK_REASONS[1]! : rng.pick(ROLLBACK_REASONS)) : null,
    suppress_reason: slot.status === "suppressed" ? (customer.opted_out ? SUPPRESS_REASONS.opted_out : SUPPRESS_REASONS.paused) : null,
    origin: key === "legacy" ? "playbook" : rng.weighted([["playbook", 70], ["manual", 20], ["recommendation", 10]] as const),
    provenance: JSON.stringify(SEED_PROVENANCE),
  };
  return { row, inbox: channel === "in_app" && row.delivered_at !== null };
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

/** The domain.md shape, in the order the writer's checks run; `failing` plants one failure. */
function qualityChecksFor(body: string, subject: string | null, channel: Channel, failing: { name: string; detail: string } | null): QualityChecks {
  const message = subject ? `${subject}\n${body}` : body;
  const mentioned = BRAND.things_to_mention.find((term) => new RegExp(`\\b${term}\\b`, "i").test(message));
  const checks: QualityCheck[] = [
    { name: "length", passed: true, severity: "error", detail: `within the ${channel} limit of ${LENGTH_LIMITS[channel]} characters` },
    { name: "placeholders", passed: true, severity: "error", detail: "no unresolved placeholders" },
    { name: "pii", passed: true, severity: "error", detail: "no personal data or secrets" },
    { name: "avoid_terms", passed: true, severity: "error", detail: "no term the brand avoids" },
    { name: "offers", passed: true, severity: "error", detail: "only allowed offers" },
    { name: "grounded_reasoning", passed: true, severity: "error", detail: "every number in the reasoning comes from the inputs" },
    mentioned
      ? { name: "required_mentions", passed: true, severity: "warn", detail: `mentions '${mentioned}'` }
      : {
          name: "required_mentions",
          passed: false,
          severity: "warn",
          detail: `mentions none of: ${BRAND.things_to_mention.map((t) => `'${t}'`).join(", ")}`,
        },
  ];
  const planted = checks.map((c) => (failing && c.name === failing.name ? { ...c, passed: false, detail: failing.detail } : c));
  return { passed: planted.every((c) => c.passed || c.severity !== "error"), checks: planted };
}

function insertIntervention(db: Db, { row, inbox }: SeededIntervention): void {
  insertRow(db, row);
  if (!inbox) return;
  db.prepare(
    `INSERT INTO inbox (intervention_id, tenant_id, user_id, subject, body, delivered_at, withdrawn_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(row.id, row.tenant_id, row.user_id, row.subject, row.message_body, row.delivered_at!, row.rolled_back_at ?? null);
}

// ------------------------------------------------------------------ summary and helpers

function summarize(options: SeedOptions, playbooks: number, customers: Customer[], interventions: SeededIntervention[]): SeedSummary {
  const count = <K extends string>(keys: readonly K[], values: K[]) =>
    Object.fromEntries(keys.map((k) => [k, values.filter((v) => v === k).length])) as Record<K, number>;
  return {
    tenant_id: options.tenantId,
    seed: options.seed,
    playbooks,
    customers: customers.length,
    interventions: interventions.length,
    by_status: count(STATUSES, interventions.map((i) => i.row.status)),
    by_stage: count(LIFECYCLE_STAGES, customers.map((c) => c.lifecycle_stage)),
    by_risk: count(["low", "medium", "high", "critical"], customers.map((c) => c.risk_level)),
    flagged: interventions.filter((i) => i.row.flagged === 1).length,
    opted_out: customers.filter((c) => c.opted_out).length,
    paused: customers.filter((c) => c.paused).length,
  };
}

function slug(name: string): string {
  return name.normalize("NFD").replace(/[^A-Za-z]/g, "").toLowerCase();
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function isoAt(now: Date, offsetMs: number): string {
  return iso(now.getTime() + offsetMs);
}

/** Whole milliseconds, as every stored timestamp is. */
function iso(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}
