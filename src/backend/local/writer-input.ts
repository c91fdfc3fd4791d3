/**
 * Builds the writer's grounded input from store records. This is the privacy
 * boundary: only the first name and scores leave; no email, company or ids
 * beyond the playbook's.
 */
import type { Channel } from "../../api/schemas.js";
import type { WriterInput } from "../../writer/types.js";
import type { Customer, Playbook, TenantSettings } from "./catalog.js";

const DAY_MS = 86_400_000;

function daysSince(iso: string | null, now: Date): number | null {
  return iso ? Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / DAY_MS)) : null;
}

export function writerInputFor(args: {
  customer: Customer;
  playbook: Playbook;
  tenant: TenantSettings;
  channel: Channel;
  purpose: WriterInput["purpose"];
  variationKey: string;
  now: Date;
}): WriterInput {
  const { customer, playbook, tenant, now } = args;
  return {
    purpose: args.purpose,
    channel: args.channel,
    customer: {
      first_name: customer.name.split(/\s+/)[0] ?? customer.name,
      locale: customer.locale,
      lifecycle_stage: customer.lifecycle_stage,
      activation_score: customer.activation_score,
      engagement_score: customer.engagement_score,
      expansion_score: customer.expansion_score,
      health: customer.health,
      risk_level: customer.risk_level,
      days_since_last_activity: daysSince(customer.last_activity_at, now),
      days_since_churn: daysSince(customer.churned_at, now),
    },
    playbook: {
      id: playbook.id,
      name: playbook.name,
      lifecycle_area: playbook.lifecycle_area,
      tone: playbook.strategy_hints.tone ?? null,
    },
    offers: playbook.strategy_hints.allowed_offers ?? [],
    brand: tenant.brand,
    variation_key: args.variationKey,
  };
}
