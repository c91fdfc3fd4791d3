/**
 * A manual create, judged by the same decision engine as a dry-run. What can
 * never reach the user (unknown user or playbook, a channel the playbook does
 * not allow, an opted-out or paused user) is refused outright. Everything the
 * engine would not have planned by itself (entry conditions unmet, cooldown,
 * weekly cap, escalation) is allowed as a human's override but flagged, so it
 * cannot go out until an approver acknowledges why. The tenant's kill switch
 * is no objection (it holds messages at dispatch) and hides none: the create is
 * judged as if it were off.
 */
import type { CreateRequest } from "../../api/schemas.js";
import { InvalidInputError, NotFoundError } from "../../errors.js";
import type { Customer, Playbook } from "../../domain/catalog.js";
import type { Store } from "../../store/index.js";
import { decide } from "./decide/index.js";

export interface VettedCreate {
  customer: Customer;
  playbook: Playbook;
  /** Why the engine would not plan this itself; null when it would. Becomes the flag reason. */
  objection: string | null;
  /** The engine's verdict, for the audit log. */
  decision: { action: string; reason: string };
}

export async function vetManualCreate(store: Store, tenantId: string, request: CreateRequest, now: Date): Promise<VettedCreate> {
  const customer = await store.catalog.customer(tenantId, request.user_id);
  if (!customer) {
    throw new NotFoundError(
      `No customer with user_id '${request.user_id}'.`,
      "Use a user_id from list_interventions or the retivo://customers resource.",
      { restHint: "Use a user_id from GET /api/interventions." },
    );
  }
  const playbook = await store.catalog.playbook(tenantId, request.playbook_id);
  if (!playbook) {
    throw new NotFoundError(
      `No playbook with id '${request.playbook_id}'.`,
      "Use a playbook_id from dry_run_intervention or the retivo://playbooks resource.",
      { restHint: "Use a playbook_id from POST /api/interventions/dry-run (decision.playbook_id)." },
    );
  }
  if (playbook.status !== "active") {
    throw new InvalidInputError(`Playbook '${playbook.name}' is ${playbook.status}, not active.`, "Choose an active playbook.");
  }
  if (!playbook.constraints.channels.includes(request.channel)) {
    throw new InvalidInputError(
      `Playbook '${playbook.name}' does not allow channel '${request.channel}'.`,
      `Use one of: ${playbook.constraints.channels.join(", ")}.`,
    );
  }
  if (customer.opted_out) {
    throw new InvalidInputError(
      `${customer.id} opted out of messages: they asked not to be contacted, so no intervention may reach them.`,
      "Nothing was created. Leave this user alone.",
    );
  }
  if (customer.paused) {
    throw new InvalidInputError(
      `${customer.id} is paused: messages to them are held and suppressed at dispatch while the pause lasts.`,
      "Nothing was created. Ask the operator to unpause this user first, then create the intervention.",
    );
  }
  // The kill switch only holds messages at dispatch, so it is no objection here; but the
  // rest of the engine is judged as if it were off, so an override made while it is on is
  // still flagged and cannot go out unacknowledged once it is switched off.
  const { decision } = (await decide(store, tenantId, request, now, { ignoreKillSwitch: true })).response;
  const objects = decision.action !== "intervene";
  return {
    customer,
    playbook,
    objection: objects ? `decision engine would ${decision.action} (${decision.reason})` : null,
    decision: { action: decision.action, reason: decision.reason },
  };
}
