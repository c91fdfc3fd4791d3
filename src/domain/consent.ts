/**
 * Consent after planning (domain.md): a customer may opt out, or the product
 * may pause them, while an intervention for them waits for a human. The
 * dispatcher would suppress it at send time anyway, but the human deciding
 * must see it first: it is flagged, and approving it is refused.
 */
import { ConflictError } from "../errors.js";
import type { Customer } from "./catalog.js";

export type ConsentProblem = "opted_out" | "paused";

export const CONSENT_ACTOR = "system:consent";

export function consentProblem(customer: Pick<Customer, "opted_out" | "paused">): ConsentProblem | null {
  return customer.opted_out ? "opted_out" : customer.paused ? "paused" : null;
}

/** The flag reason; starts with "consent:" the way a failed check's starts with its name. */
export function consentFlagReason(userId: string, problem: ConsentProblem): string {
  return problem === "opted_out" ? `consent: ${userId} opted out after this was planned` : `consent: ${userId} was paused after this was planned`;
}

/** What approve answers for an intervention whose user can no longer be messaged. */
export function consentRefusal(intervention: { id: string; user_id: string }, problem: ConsentProblem): ConflictError {
  return problem === "opted_out"
    ? new ConflictError(
        `Cannot approve ${intervention.id}: ${intervention.user_id} opted out of messages after it was planned, so it must not be sent.`,
        "It is flagged for consent now. Reject it with reject_intervention; it can be approved only if the user opts back in.",
      )
    : new ConflictError(
        `Cannot approve ${intervention.id}: ${intervention.user_id} was paused after it was planned, and messages to paused users are held.`,
        "It is flagged for consent now. Approve it once the user is unpaused, or reject it with reject_intervention.",
      );
}
