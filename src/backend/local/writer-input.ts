/**
 * Builds the writer's grounded input from store records. This is the privacy
 * boundary: only the first name and scores leave; no email, company or ids
 * beyond the playbook's. The first name is what the person typed, so the
 * writer treats it as untrusted text (data-block.ts, template.ts).
 */
import type { Channel } from "../../api/schemas.js";
import type { WriterInput } from "../../writer/types.js";
import type { Customer, Playbook, TenantSettings } from "../../domain/catalog.js";
import { userFacts } from "./conditions.js";

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
      // The same facts the decision engine judged, so reasoning cites numbers it saw.
      ...userFacts(customer, now),
    },
    playbook: {
      id: playbook.id,
      name: playbook.name,
      lifecycle_area: playbook.lifecycle_area,
      tone: playbook.strategy_hints.tone ?? null,
    },
    offers: playbook.strategy_hints.allowed_offers ?? [],
    brand: tenant.brand,
    policy: tenant.policy,
    variation_key: args.variationKey,
  };
}
