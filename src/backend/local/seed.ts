/**
 * The demo data set of the local store: a tenant with brand context and a
 * message policy (postal address, unsubscribe token, brand limits), a
 * playbook per lifecycle area (win-back as its 7/30/60-day series, plus one
 * archived), 200 customers across every stage, score range and risk level,
 * and 60 interventions in every status, some flagged.
 *
 * Deterministic: every value comes from a PRNG seeded by (seed, tenant) and
 * every timestamp from `now`, so the same inputs write the same rows. The
 * tenant is part of the PRNG seed because intervention ids are unique across
 * the whole file, and the REST server keeps a 'test' tenant beside 'live'.
 *
 * This file holds the order of the writes, the tenant, playbooks and
 * customers; the PRNG is in random.ts, the interventions in
 * seed-interventions.ts, the fixed tables in seed-data.ts.
 */
import { STATUSES, type Status } from "../../api/schemas.js";
import { LIFECYCLE_STAGES, type Customer, type LifecycleStage, type TenantSettings } from "../../domain/catalog.js";
import type { SeededIntervention, Store, TenantSeed } from "../../store/index.js";
import { prngSeed, Rng, round2 } from "./random.js";
import {
  BRAND,
  COMPANIES,
  FIRST_NAMES,
  LAST_NAMES,
  LOCALES,
  OPTED_OUT_USERS,
  PAUSED_USERS,
  PLAYBOOKS,
  POLICY,
  PRODUCT_NAME,
  ROLES,
  STAGE_COUNTS,
  STAGE_PROFILES,
  TEAM_SIZES,
} from "./seed-data.js";
import { buildInterventions, type SeededPlaybook } from "./seed-interventions.js";
import { DAY_MS, isoAt, MINUTE_MS } from "./seed-time.js";

// Rng was first exported from here; re-exported so imports of it from seed.js keep working.
export { Rng } from "./random.js";

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

const ACTOR = "system:seed";

/** Seeds `tenantId` unless it already exists (one transaction with the check); the summary, or null when it existed. */
export async function ensureSeeded(store: Store, tenantId: string, seed: number, now = new Date()): Promise<SeedSummary | null> {
  // Building the data set runs the writer's checks on every seeded message: too dear for every start of a seeded store.
  // seedTenant still refuses atomically when another process seeded it in between.
  if (await store.catalog.tenant(tenantId)) return null;
  const { data, summary } = demoDataSet({ tenantId, seed, now });
  return (await store.seed.seedTenant(data, now)) ? summary : null;
}

/** Writes the whole demo data set for a tenant that does not exist yet; refuses one that does. */
export async function seedStore(store: Store, options: SeedOptions): Promise<SeedSummary> {
  const now = options.now ?? new Date();
  const { data, summary } = demoDataSet({ ...options, now });
  if (!(await store.seed.seedTenant(data, now))) {
    throw new Error(`Tenant '${options.tenantId}' already has data; seed a fresh store or another tenant.`);
  }
  return summary;
}

/** The demo data set for a tenant, built without the store: the same inputs give the same rows. */
export function demoDataSet(options: Required<SeedOptions>): { data: TenantSeed; summary: SeedSummary } {
  const { now, tenantId } = options;
  const rng = new Rng(prngSeed(options.seed, tenantId));
  const tenant = demoTenant(tenantId, now);
  const playbooks = buildPlaybooks(rng, now);
  const customers = buildCustomers(rng, now);
  const interventions = buildInterventions(rng, now, { ...tenant, kill_switch_active: false, shadow_mode: false, webhook_url: null, webhook_secret: null }, customers, playbooks);
  const summary = summarize(options, playbooks.length, customers, interventions);
  return {
    data: {
      tenant,
      playbooks: playbooks.map((p) => p.playbook),
      customers,
      interventions,
      audit: { actor: ACTOR, detail: { seed: summary.seed, playbooks: summary.playbooks, customers: summary.customers, interventions: summary.interventions } },
    },
    summary,
  };
}

// ------------------------------------------------------------------ tenant and playbooks

function demoTenant(tenantId: string, now: Date): TenantSeed["tenant"] {
  const settings: Omit<TenantSettings, "kill_switch_active" | "shadow_mode" | "webhook_url" | "webhook_secret"> = {
    id: tenantId,
    name: tenantId === "live" ? `${PRODUCT_NAME} Analytics` : `${PRODUCT_NAME} Analytics (${tenantId})`,
    brand: BRAND,
    policy: POLICY,
    escalation_threshold: 0.6,
  };
  return { ...settings, created_at: isoAt(now, -400 * DAY_MS) };
}

function buildPlaybooks(rng: Rng, now: Date): SeededPlaybook[] {
  return PLAYBOOKS.map(({ key, ...spec }) => {
    const createdAt = isoAt(now, -rng.int(120, 360) * DAY_MS - rng.int(0, 1439) * MINUTE_MS);
    // The archived playbook was retired a while ago, so its interventions are old ones.
    const statusChangedAt = spec.status === "archived" ? isoAt(now, -rng.int(30, 60) * DAY_MS) : createdAt;
    return { key, playbook: { id: rng.uuid(), ...spec, created_at: createdAt, status_changed_at: statusChangedAt } };
  });
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

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
