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

export interface TenantSettings {
  id: string;
  name: string;
  kill_switch_active: boolean;
  shadow_mode: boolean;
  brand: BrandContext;
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

export function getCustomer(db: Db, tenantId: string, id: string): Customer | undefined {
  const row = prepared(db, "SELECT * FROM customers WHERE tenant_id = ? AND id = ?").get(tenantId, id) as Row | undefined;
  return row && customerFromRow(row);
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
