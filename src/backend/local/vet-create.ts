/**
 * A manual create, judged by the same decision engine as a dry-run. What can
 * never reach the user (unknown user or playbook, a channel the playbook does
 * not allow, an opted-out or paused user) is refused outright. Everything the
 * engine would not have planned by itself (entry conditions unmet, cooldown,
 * weekly cap, escalation) is allowed as a human's override but flagged, so it
 * cannot go out until an approver acknowledges why.
 */
import type { CreateRequest } from "../../api/schemas.js";
import { InvalidInputError, NotFoundError } from "../../errors.js";
import { getCustomer, getPlaybook, type Customer, type Playbook } from "./catalog.js";
import { decide } from "./decide.js";
import type { Db } from "./store.js";

export interface VettedCreate {
  customer: Customer;
  playbook: Playbook;
  /** Why the engine would not plan this itself; null when it would. Becomes the flag reason. */
  objection: string | null;
  /** The engine's verdict, for the audit log. */
  decision: { action: string; reason: string };
}

export function vetManualCreate(db: Db, tenantId: string, request: CreateRequest, now: Date): VettedCreate {
  const customer = getCustomer(db, tenantId, request.user_id);
  if (!customer) {
    throw new NotFoundError(
      `No customer with user_id '${request.user_id}'.`,
      "Use a user_id from list_interventions or the retivo://customers resource.",
    );
  }
  const playbook = getPlaybook(db, tenantId, request.playbook_id);
  if (!playbook) {
    throw new NotFoundError(
      `No playbook with id '${request.playbook_id}'.`,
      "Use a playbook_id from dry_run_intervention or the retivo://playbooks resource.",
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
  if (customer.opted_out || customer.paused) {
    throw new InvalidInputError(
      `${customer.id} is ${customer.opted_out ? "opted out of messages" : "paused"}: an intervention could never reach them.`,
      "Nothing was created. Leave this user alone, or ask the operator to change their status first.",
    );
  }
  const { decision } = decide(db, tenantId, request, now).response;
  // The kill switch holds messages at dispatch; creating one meanwhile is harmless and not an objection.
  const objects = decision.action !== "intervene" && decision.reason !== "kill_switch_active";
  return {
    customer,
    playbook,
    objection: objects ? `decision engine would ${decision.action} (${decision.reason})` : null,
    decision: { action: decision.action, reason: decision.reason },
  };
}
