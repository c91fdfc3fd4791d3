/**
 * Who an intervention will reach, as the local store's channels address them:
 * the customer's name, and for email their address, for a webhook the host of
 * the tenant's endpoint. The approver checks "Hi Jonas" against this.
 */
import type { DetailedIntervention } from "../../api/schemas.js";
import type { Recipient } from "../../guard/action-hash.js";
import { getCustomer, getTenant } from "./catalog.js";
import type { Db } from "./store.js";

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return `webhook endpoint ${new URL(url).host}`;
  } catch {
    return null;
  }
}

export function recipientFor(db: Db, tenantId: string, intervention: DetailedIntervention): Recipient | null {
  const customer = getCustomer(db, tenantId, intervention.user_id);
  if (!customer) return null;
  const address = intervention.channel === "email" ? customer.email : intervention.channel === "webhook" ? hostOf(getTenant(db, tenantId)?.webhook_url ?? null) : null;
  return { name: customer.name, address };
}
