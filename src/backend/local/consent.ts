/**
 * Consent after planning. A customer may opt out, or the product may pause
 * them, while an intervention for them waits for a human. The dispatcher would
 * suppress it at send time anyway, but the human deciding must see it first:
 *
 * - when the gates change through `setCustomerConsent`, every unsent
 *   intervention of that user is flagged in the same transaction (an approved
 *   one moves to paused, as any flag does), so lists and the approval form
 *   show it at once;
 * - approving re-reads the customer inside the approval's own transaction, so
 *   a gate set any other way (another process, a sync writing the column) is
 *   caught too: the intervention is flagged and the approval refused.
 *
 * Reading the customer at list time instead would add a join to the hottest
 * read for an event that is rare and already flagged when it happens.
 */
import { ConflictError, NotFoundError } from "../../errors.js";
import { appendAudit } from "./audit.js";
import { getCustomer, setCustomerGates, type Customer } from "./catalog.js";
import { compareAndSet, unsentRowsForUser, type InterventionRow, type RowChanges } from "./interventions-repo.js";
import type { Db } from "./store.js";

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
export function consentRefusal(row: Pick<InterventionRow, "id" | "user_id">, problem: ConsentProblem): ConflictError {
  return problem === "opted_out"
    ? new ConflictError(
        `Cannot approve ${row.id}: ${row.user_id} opted out of messages after it was planned, so it must not be sent.`,
        "It is flagged for consent now. Reject it with reject_intervention; it can be approved only if the user opts back in.",
      )
    : new ConflictError(
        `Cannot approve ${row.id}: ${row.user_id} was paused after it was planned, and messages to paused users are held.`,
        "It is flagged for consent now. Approve it once the user is unpaused, or reject it with reject_intervention.",
      );
}

/**
 * Flags one unsent intervention for consent, inside the caller's transaction.
 * Returns false when it already carries this reason (nothing to change).
 */
export function flagForConsent(db: Db, row: InterventionRow, problem: ConsentProblem, now: Date): boolean {
  const reason = consentFlagReason(row.user_id, problem);
  if (row.flagged === 1 && row.flag_reason?.includes(reason)) return false;
  const changes: RowChanges = { flagged: 1, flag_reason: row.flagged === 1 && row.flag_reason ? `${reason}; ${row.flag_reason}` : reason };
  if (row.status === "approved") changes.status = "paused";
  if (!compareAndSet(db, row, changes, now.toISOString())) {
    throw new ConflictError(`${row.id} changed while its consent was checked.`, "Read it again and retry if still wanted.");
  }
  appendAudit(
    db,
    { tenant_id: row.tenant_id, event: "flagged", intervention_id: row.id, actor: CONSENT_ACTOR, detail: { reason, from: row.status, to: changes.status ?? row.status } },
    now,
  );
  return true;
}

/**
 * Sets a customer's opt-out and pause gates, and flags every unsent
 * intervention of theirs when either is now on. One transaction; returns the
 * ids it flagged.
 */
export function setCustomerConsent(
  db: Db,
  tenantId: string,
  userId: string,
  gates: Partial<Pick<Customer, "opted_out" | "paused">>,
  now = new Date(),
): string[] {
  return db
    .transaction(() => {
      const customer = getCustomer(db, tenantId, userId);
      if (!customer) throw new NotFoundError(`No customer with user_id '${userId}'.`, "Use a user_id from the retivo://customers resource.");
      const next = { opted_out: gates.opted_out ?? customer.opted_out, paused: gates.paused ?? customer.paused };
      setCustomerGates(db, tenantId, userId, next);
      const problem = consentProblem(next);
      if (!problem) return [];
      return unsentRowsForUser(db, tenantId, userId)
        .filter((row) => flagForConsent(db, row, problem, now))
        .map((row) => row.id);
    })
    .immediate();
}
