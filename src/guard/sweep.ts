/**
 * Closing requests that can no longer be used: expired ones, and ones whose
 * intervention changed since they were made (their hash no longer matches).
 * Each closure is audited once, by whichever process closes it first.
 */
import { isExpired, isOpen, type ApprovalRow, type Store } from "../store/index.js";
import { guardEvent } from "./guard-audit.js";

/** Closes an open `row` if it expired or (when `currentHash` is given) no longer matches. True if still usable. */
export async function keepIfUsable(store: Store, row: ApprovalRow, currentHash: string | undefined, now: Date): Promise<boolean> {
  if (!isOpen(row)) return true;
  if (isExpired(row, now)) {
    const outcome = row.status === "approved" ? "expired before it was executed" : "expired unanswered";
    await store.approvals.close(row.id, "expired", now, outcome, guardEvent({ event: "approval_expired", actor: "system:guard", approval: row, detail: { was: row.status } }));
    return false;
  }
  if (currentHash !== undefined && row.action_hash !== currentHash) {
    const why = "the intervention changed since the request was made";
    await store.approvals.close(
      row.id,
      "void",
      now,
      why,
      guardEvent({ event: "approval_voided", actor: "system:guard", approval: row, detail: { was: row.status, why, current_hash: currentHash } }),
    );
    return false;
  }
  return true;
}

export async function sweepExpired(store: Store, now = new Date()): Promise<void> {
  for (const row of await store.approvals.listOpen()) await keepIfUsable(store, row, undefined, now);
}
