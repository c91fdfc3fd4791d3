/**
 * The decision engine over the store: gathers what the engine decides from
 * (the tenant, the customer, the playbooks, the user's recent interventions),
 * in reads of the store, then decides (engine.ts, pure).
 */
import type { DryRunRequest } from "../../../api/schemas.js";
import { NotFoundError } from "../../../errors.js";
import type { Store } from "../../../store/index.js";
import { decideFrom, type DecideOptions, type DecisionOutcome } from "./engine.js";
import { lookBackStart } from "./holds.js";

export { confidenceFor, decideFrom, matchPlaybook, rankMatches, type DecideOptions, type DecisionInputs, type DecisionOutcome } from "./engine.js";
export type { DecisionAction, PlaybookMatch, RuleResult } from "./types.js";

export async function decide(store: Store, tenantId: string, request: DryRunRequest, now: Date, options: DecideOptions = {}): Promise<DecisionOutcome> {
  const tenant = await store.catalog.tenant(tenantId);
  if (!tenant) {
    throw new NotFoundError(
      `The local store has no tenant '${tenantId}'.`,
      "Run `retivo-mcp seed` (or start the server once) to create the demo tenant, then retry.",
    );
  }
  const customer = await store.catalog.customer(tenantId, request.user_id);
  const requested = request.playbook_id === undefined ? undefined : await store.catalog.playbook(tenantId, request.playbook_id);
  const active = request.playbook_id === undefined ? await store.catalog.playbooks(tenantId, true) : [];
  const considered = requested ? [requested] : active;
  const recent = customer ? await store.interventions.createdSince(tenantId, customer.id, lookBackStart(considered, now)) : [];
  return decideFrom({ tenant, customer, requested, active, recent }, request, now, options);
}
