/**
 * Who an intervention will reach, as the local store's channels address them:
 * the customer's name, and for email their address, for a webhook the host of
 * the tenant's endpoint. The approver checks "Hi Jonas" against this.
 */
import type { DetailedIntervention } from "../../api/schemas.js";
import type { Recipient } from "../../domain/action-hash.js";
import type { Store } from "../../store/index.js";

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return `webhook endpoint ${new URL(url).host}`;
  } catch {
    return null;
  }
}

export async function recipientFor(store: Store, tenantId: string, intervention: DetailedIntervention): Promise<Recipient | null> {
  const customer = await store.catalog.customer(tenantId, intervention.user_id);
  if (!customer) return null;
  if (intervention.channel === "email") return { name: customer.name, address: customer.email };
  if (intervention.channel === "webhook") return { name: customer.name, address: hostOf((await store.catalog.tenant(tenantId))?.webhook_url ?? null) };
  return { name: customer.name, address: null };
}
