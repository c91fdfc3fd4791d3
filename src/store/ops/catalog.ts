/**
 * The reference data around interventions: tenant settings with brand context
 * and message policy, customers and playbooks. Typed rows in, domain objects
 * out (src/domain/catalog.ts).
 */
import type { BrandContext, Condition, Customer, MessagePolicy, Playbook, TenantSettings } from "../../domain/catalog.js";
import type { Tx } from "../sql.js";

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

export async function getTenant(tx: Tx, tenantId: string): Promise<TenantSettings | undefined> {
  const row = await tx.get<Row>("SELECT * FROM tenants WHERE id = ?", [tenantId]);
  return row && tenantFromRow(row);
}

export async function setKillSwitch(tx: Tx, tenantId: string, active: boolean): Promise<void> {
  await tx.run("UPDATE tenants SET kill_switch_active = ? WHERE id = ?", [active ? 1 : 0, tenantId]);
}

export async function setShadowMode(tx: Tx, tenantId: string, active: boolean): Promise<void> {
  await tx.run("UPDATE tenants SET shadow_mode = ? WHERE id = ?", [active ? 1 : 0, tenantId]);
}

export async function setWebhook(tx: Tx, tenantId: string, url: string | null, secret: string | null): Promise<void> {
  await tx.run("UPDATE tenants SET webhook_url = ?, webhook_secret = ? WHERE id = ?", [url, secret, tenantId]);
}

export async function setBrandContext(tx: Tx, tenantId: string, brand: BrandContext): Promise<void> {
  await tx.run("UPDATE tenants SET product_description = ?, tone_guidelines = ?, things_to_mention = ?, things_to_avoid = ? WHERE id = ?", [
    brand.product_description,
    brand.tone_guidelines,
    JSON.stringify(brand.things_to_mention),
    JSON.stringify(brand.things_to_avoid),
    tenantId,
  ]);
}

/** Replaces the tenant's message policy; blank strings count as unset. */
export async function setMessagePolicy(tx: Tx, tenantId: string, policy: MessagePolicy): Promise<void> {
  const text = (value: string | null) => (value?.trim() ? value.trim() : null);
  await tx.run("UPDATE tenants SET postal_address = ?, unsubscribe = ?, ai_disclosure = ?, max_emoji = ?, link_hosts = ? WHERE id = ?", [
    text(policy.postal_address),
    text(policy.unsubscribe),
    text(policy.ai_disclosure),
    policy.max_emoji,
    JSON.stringify(policy.link_hosts.map((host) => host.trim().toLowerCase()).filter(Boolean)),
    tenantId,
  ]);
}

export async function getCustomer(tx: Tx, tenantId: string, id: string): Promise<Customer | undefined> {
  const row = await tx.get<Row>("SELECT * FROM customers WHERE tenant_id = ? AND id = ?", [tenantId, id]);
  return row && customerFromRow(row);
}

/** Sets the per-user gates the product reports; consent.ts wraps it with what an opt-out means for planned messages. */
export async function setCustomerGates(tx: Tx, tenantId: string, id: string, gates: Pick<Customer, "opted_out" | "paused">): Promise<void> {
  await tx.run("UPDATE customers SET opted_out = ?, paused = ? WHERE tenant_id = ? AND id = ?", [gates.opted_out ? 1 : 0, gates.paused ? 1 : 0, tenantId, id]);
}

export async function searchCustomerIds(tx: Tx, tenantId: string, prefix: string, limit = 20): Promise<string[]> {
  const rows = await tx.all<{ id: string }>("SELECT id FROM customers WHERE tenant_id = ? AND id >= ? AND id < ? ORDER BY id LIMIT ?", [
    tenantId,
    prefix,
    `${prefix}\uffff`,
    limit,
  ]);
  return rows.map((r) => r.id);
}

export async function getPlaybook(tx: Tx, tenantId: string, id: string): Promise<Playbook | undefined> {
  const row = await tx.get<Row>("SELECT * FROM playbooks WHERE tenant_id = ? AND id = ?", [tenantId, id]);
  return row && playbookFromRow(row);
}

export async function listPlaybooks(tx: Tx, tenantId: string, activeOnly = false): Promise<Playbook[]> {
  const sql = activeOnly
    ? "SELECT * FROM playbooks WHERE tenant_id = ? AND status = 'active' ORDER BY name"
    : "SELECT * FROM playbooks WHERE tenant_id = ? ORDER BY name";
  return (await tx.all<Row>(sql, [tenantId])).map(playbookFromRow);
}
