/**
 * Whether an intervention's message offers something, as the local store's
 * catalog knows it: the text names one of its playbook's allowed offers, or
 * carries a discount, price, percentage, promo code or free period anyway.
 * The approval policy's `offers` match asks this (guard/policy.ts).
 */
import type { DetailedIntervention } from "../../api/schemas.js";
import type { Store } from "../../store/index.js";
import { mentionsOffer } from "../../writer/text-scan.js";

export async function offersInMessage(store: Store, tenantId: string, intervention: DetailedIntervention): Promise<boolean> {
  const text = `${intervention.subject ?? ""}\n${intervention.message_body}`;
  if (mentionsOffer(text)) return true;
  const offers = (await store.catalog.playbook(tenantId, intervention.playbook_id))?.strategy_hints.allowed_offers ?? [];
  const lower = text.toLowerCase();
  return offers.some((offer) => offer.text.trim() !== "" && lower.includes(offer.text.toLowerCase()));
}
