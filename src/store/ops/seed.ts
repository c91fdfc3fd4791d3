/**
 * Writing a whole data set for a tenant that does not exist yet (the demo
 * seed, a test's fixture, a benchmark's bulk load): the tenant with its
 * settings, playbooks, customers, interventions and their inbox rows. The
 * data is built elsewhere (backend/local/seed*.ts), without the store.
 */
import type { Customer, Playbook, TenantSettings } from "../../domain/catalog.js";
import { appendAudit } from "./audit.js";
import { setMessagePolicy } from "./catalog.js";
import { insertRow, type NewIntervention } from "./interventions.js";
import type { Tx } from "../sql.js";

export interface SeededIntervention {
  row: NewIntervention;
  /** An in-app message that reached the inbox (delivered, perhaps withdrawn by a rollback). */
  inbox: boolean;
}

export interface TenantSeed {
  tenant: Omit<TenantSettings, "kill_switch_active" | "shadow_mode" | "webhook_url" | "webhook_secret"> & { created_at: string };
  playbooks: Playbook[];
  customers: Customer[];
  interventions: SeededIntervention[];
  /** The `seed` audit row's detail. */
  audit: { actor: string; detail: Record<string, unknown> };
}

export async function tenantExists(tx: Tx, tenantId: string): Promise<boolean> {
  return (await tx.get("SELECT 1 AS present FROM tenants WHERE id = ?", [tenantId])) !== undefined;
}

export async function insertTenant(tx: Tx, seed: TenantSeed["tenant"]): Promise<void> {
  await tx.run(
    `INSERT INTO tenants (id, name, kill_switch_active, shadow_mode, product_description, tone_guidelines,
       things_to_mention, things_to_avoid, webhook_url, webhook_secret, escalation_threshold, created_at)
     VALUES (?, ?, 0, 0, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
    [
      seed.id,
      seed.name,
      seed.brand.product_description,
      seed.brand.tone_guidelines,
      JSON.stringify(seed.brand.things_to_mention),
      JSON.stringify(seed.brand.things_to_avoid),
      seed.escalation_threshold,
      seed.created_at,
    ],
  );
  await setMessagePolicy(tx, seed.id, seed.policy);
}

export async function insertPlaybook(tx: Tx, tenantId: string, p: Playbook): Promise<void> {
  await tx.run(
    `INSERT INTO playbooks (tenant_id, id, name, status, lifecycle_area, entry_conditions, exit_conditions, constraints,
       strategy_hints, created_at, status_changed_at, success_rate)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
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
    ],
  );
}

const CUSTOMER_COLUMNS = [
  "id", "name", "email", "company", "role", "team_size", "locale", "lifecycle_stage", "activation_score", "engagement_score",
  "expansion_score", "health", "risk_level", "opted_out", "paused", "last_activity_at", "churned_at", "created_at",
] as const;

export async function insertCustomer(tx: Tx, tenantId: string, c: Customer): Promise<void> {
  const values: Record<string, unknown> = { ...c, opted_out: c.opted_out ? 1 : 0, paused: c.paused ? 1 : 0 };
  await tx.run(
    `INSERT INTO customers (tenant_id, ${CUSTOMER_COLUMNS.join(", ")}) VALUES (?, ${CUSTOMER_COLUMNS.map(() => "?").join(", ")})`,
    [tenantId, ...CUSTOMER_COLUMNS.map((column) => values[column] ?? null)],
  );
}

export async function insertIntervention(tx: Tx, { row, inbox }: SeededIntervention): Promise<void> {
  await insertRow(tx, row);
  if (!inbox) return;
  await tx.run(
    `INSERT INTO inbox (intervention_id, tenant_id, user_id, subject, body, delivered_at, withdrawn_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [row.id, row.tenant_id, row.user_id, row.subject, row.message_body, row.delivered_at!, row.rolled_back_at ?? null],
  );
}

/** Writes the whole data set, unless the tenant exists already (then false, and nothing is written). */
export async function seedTenant(tx: Tx, seed: TenantSeed, now: Date): Promise<boolean> {
  await tx.lock(`seed:${seed.tenant.id}`);
  if (await tenantExists(tx, seed.tenant.id)) return false;
  await insertTenant(tx, seed.tenant);
  for (const playbook of seed.playbooks) await insertPlaybook(tx, seed.tenant.id, playbook);
  for (const customer of seed.customers) await insertCustomer(tx, seed.tenant.id, customer);
  for (const intervention of seed.interventions) await insertIntervention(tx, intervention);
  await appendAudit(tx, { tenant_id: seed.tenant.id, event: "seed", actor: seed.audit.actor, detail: seed.audit.detail }, now);
  return true;
}
