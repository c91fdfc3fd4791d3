/**
 * The local store's catalog capability (backend/types.ts CatalogCapability):
 * customers, playbooks, settings, deliveries and completions, for one
 * tenant, read through the store port.
 */
import type { Store } from "../../store/index.js";
import type { CatalogCapability } from "../types.js";

export function catalogOf(store: Store, tenantId: string): CatalogCapability {
  return {
    customer: (userId) => store.catalog.customer(tenantId, userId),
    playbook: (id) => store.catalog.playbook(tenantId, id),
    playbooks: () => store.catalog.playbooks(tenantId),
    settings: () => store.catalog.tenant(tenantId),
    customerIds: (prefix, limit) => store.catalog.searchCustomerIds(tenantId, prefix, limit),
    interventionIds: (prefix, statuses, limit) => store.interventions.idsByPrefix(tenantId, prefix, statuses, limit),
    deliveries: (interventionId) => store.deliveries.of(interventionId),
    versionsOf: (ids) => store.interventions.versionsOf(tenantId, ids),
  };
}
