/**
 * The reference data around interventions: tenant settings with brand context,
 * customers and playbooks. Typed rows in, typed objects out.
 */
import type { Channel } from "../../api/schemas.js";
import { prepared, type Db } from "./store.js";

export const LIFECYCLE_STAGES = ["new", "onboarding", "active", "at_risk", "churned", "recovered"] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];
export const LIFECYCLE_AREAS = ["onboarding", "churn_prevention", "retention", "upsell", "win_back"] as const;
export type LifecycleArea = (typeof LIFECYCLE_AREAS)[number];
export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;

export interface BrandContext {
  product_description: string;
  tone_guidelines: string;
  things_to_mention: string[];
  things_to_avoid: string[];
}

/**
 * What the tenant requires of every message beyond its tone: the law's email
 * footer (CAN-SPAM: the sender's postal address and a working opt-out), an
 * optional disclosure line for model-written text, and brand limits.
 */
export interface MessagePolicy {
  /** The sender's postal address, printed in every email footer. */
  postal_address: string | null;
  /** The opt-out every email carries: an ESP merge token ("{{unsubscribe_url}}") or a URL. */
  unsubscribe: string | null;
  /** Appended to text a model wrote (provenance.generated); null: no disclosure line. */
  ai_disclosure: string | null;
  /** Most emoji a message may carry; null: no limit. */
  max_emoji: number | null;
  /** Hosts a message may link to (subdomains included); empty: no links. */
  link_hosts: string[];
}

export interface TenantSettings {
  id: string;
  name: string;
  kill_switch_active: boolean;
  shadow_mode: boolean;
  brand: BrandContext;
  policy: MessagePolicy;
  webhook_url: string | null;
  /** Never returned by tools or resources. */
  webhook_secret: string | null;
  escalation_threshold: number;
}

export interface Customer {
  id: string;
  name: string;
  email: string;
  company: string | null;
  role: string | null;
  team_size: number | null;
  locale: string;
  lifecycle_stage: LifecycleStage;
  activation_score: number;
  engagement_score: number;
  expansion_score: number;
  health: number;
  risk_level: string;
  opted_out: boolean;
  paused: boolean;
  last_activity_at: string | null;
  churned_at: string | null;
  created_at: string;
}

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { field: string; op: "<" | "<=" | ">" | ">=" | "==" | "!=" | "in"; value: unknown };

export interface Offer {
  id: string;
  text: string;
}

export interface Playbook {
  id: string;
  name: string;
  status: string;
  lifecycle_area: LifecycleArea;
  entry_conditions: Condition;
  exit_conditions: Condition;
  constraints: { channels: Channel[]; cooldown_hours: number; max_per_week: number };
  strategy_hints: { preferred_channel?: Channel; tone?: string; allowed_offers?: Offer[] };
  created_at: string;
  status_changed_at: string;
  success_rate: number | null;
}

type Row = Record<string, unknown>;

function tenantFromRow(row: Row): TenantSettings {
  return {
    id: row.id as string,
    name: row.name as string,
    kill_switch_active: row.kill_switch_active === 1,
    shadow_mode: row.shadow_mode === 1,
    brand: {
      product_description: row.product_description as string,
      tone_guidelines: row.tone_guidelines as string,
      things_to_mention: JSON.parse(row.things_to_mention as string) as string[],
      things_to_avoid: JSON.parse(row.things_to_avoid as string) as string[],
    },
    policy: {
      postal_address: (row.postal_address as string | null) ?? null,
      unsubscribe: (row.unsubscribe as string | null) ?? null,
      ai_disclosure: (row.ai_disclosure as string | null) ?? null,
      max_emoji: (row.max_emoji as number | null) ?? null,
      link_hosts: JSON.parse(row.link_hosts as string) as string[],
    },
    webhook_url: (row.webhook_url as string | null) ?? null,
    webhook_secret: (row.webhook_secret as string | null) ?? null,
    escalation_threshold: row.escalation_threshold as number,
  };
}

function customerFromRow(row: Row): Customer {
  return { ...(row as unknown as Customer), opted_out: row.opted_out === 1, paused: row.paused === 1 };
}

function playbookFromRow(row: Row): Playbook {
  return {
    ...(row as unknown as Playbook),
    entry_conditions: JSON.parse(row.entry_conditions as string) as Condition,
    exit_conditions: JSON.parse(row.exit_conditions as string) as Condition,
    constraints: JSON.parse(row.constraints as string) as Playbook["constraints"],
    strategy_hints: JSON.parse(row.strategy_hints as string) as Playbook["strategy_hints"],
  };
}

export function getTenant(db: Db, tenantId: string): TenantSettings | undefined {
  const row = prepared(db, "SELECT * FROM tenants WHERE id = ?").get(tenantId) as Row | undefined;
  return row && tenantFromRow(row);
}

export function setKillSwitch(db: Db, tenantId: string, active: boolean): void {
  prepared(db, "UPDATE tenants SET kill_switch_active = ? WHERE id = ?").run(active ? 1 : 0, tenantId);
}

export function setShadowMode(db: Db, tenantId: string, active: boolean): void {
  prepared(db, "UPDATE tenants SET shadow_mode = ? WHERE id = ?").run(active ? 1 : 0, tenantId);
}

export function setWebhook(db: Db, tenantId: string, url: string | null, secret: string | null): void {
  prepared(db, "UPDATE tenants SET webhook_url = ?, webhook_secret = ? WHERE id = ?").run(url, secret, tenantId);
}

export function setBrandContext(db: Db, tenantId: string, brand: BrandContext): void {
  prepared(db, "UPDATE tenants SET product_description = ?, tone_guidelines = ?, things_to_mention = ?, things_to_avoid = ? WHERE id = ?").run(
    brand.product_description,
    brand.tone_guidelines,
    JSON.stringify(brand.things_to_mention),
    JSON.stringify(brand.things_to_avoid),
    tenantId,
  );
}

/** Replaces the tenant's message policy; blank strings count as unset. */
export function setMessagePolicy(db: Db, tenantId: string, policy: MessagePolicy): void {
  const text = (value: string | null) => (value?.trim() ? value.trim() : null);
  prepared(
    db,
    "UPDATE tenants SET postal_address = ?, unsubscribe = ?, ai_disclosure = ?, max_emoji = ?, link_hosts = ? WHERE id = ?",
  ).run(
    text(policy.postal_address),
    text(policy.unsubscribe),
    text(policy.ai_disclosure),
    policy.max_emoji,
    JSON.stringify(policy.link_hosts.map((host) => host.trim().toLowerCase()).filter(Boolean)),
    tenantId,
  );
}

export function getCustomer(db: Db, tenantId: string, id: string): Customer | undefined {
  const row = prepared(db, "SELECT * FROM customers WHERE tenant_id = ? AND id = ?").get(tenantId, id) as Row | undefined;
  return row && customerFromRow(row);
}

/** Sets the per-user gates the product reports; consent.ts wraps it with what an opt-out means for planned messages. */
export function setCustomerGates(db: Db, tenantId: string, id: string, gates: Pick<Customer, "opted_out" | "paused">): void {
  prepared(db, "UPDATE customers SET opted_out = ?, paused = ? WHERE tenant_id = ? AND id = ?").run(
    gates.opted_out ? 1 : 0,
    gates.paused ? 1 : 0,
    tenantId,
    id,
  );
}

export function searchCustomerIds(db: Db, tenantId: string, prefix: string, limit = 20): string[] {
  return (
    prepared(db, "SELECT id FROM customers WHERE tenant_id = ? AND id >= ? AND id < ? ORDER BY id LIMIT ?")
      .all(tenantId, prefix, prefix + "\uffff", limit) as { id: string }[]
  ).map((r) => r.id);
}

export function getPlaybook(db: Db, tenantId: string, id: string): Playbook | undefined {
  const row = prepared(db, "SELECT * FROM playbooks WHERE tenant_id = ? AND id = ?").get(tenantId, id) as Row | undefined;
  return row && playbookFromRow(row);
}

export function listPlaybooks(db: Db, tenantId: string, activeOnly = false): Playbook[] {
  const sql = activeOnly
    ? "SELECT * FROM playbooks WHERE tenant_id = ? AND status = 'active' ORDER BY name"
    : "SELECT * FROM playbooks WHERE tenant_id = ? ORDER BY name";
  return (prepared(db, sql).all(tenantId) as Row[]).map(playbookFromRow);
}
