/**
 * Closing requests that can no longer be used: expired ones, and ones whose
 * intervention changed since they were made (their hash no longer matches).
 * Each closure is audited once, by whichever process closes it first. A
 * running server's sweep also sends the reminders and escalations the
 * requests' tiers set, each claimed once in the store so two replicas never
 * both send one, and tells the team (notices.ts) what it expired.
 */
import { isExpired, isOpen, type ApprovalRow, type Store } from "../store/index.js";
import { guardEvent } from "./guard-audit.js";
import type { Notices } from "./notices.js";

/**
 * Closes an open `row` if it expired or (when `currentHash` is given) no longer matches. True if still usable.
 * `onExpired` runs when this very call expired it (not when another process did).
 */
export async function keepIfUsable(store: Store, row: ApprovalRow, currentHash: string | undefined, now: Date, onExpired?: (row: ApprovalRow) => Promise<void>): Promise<boolean> {
  if (!isOpen(row)) return true;
  if (isExpired(row, now)) {
    const outcome = row.status === "approved" ? "expired before it was executed" : "expired unanswered";
    const closed = await store.approvals.close(row.id, "expired", now, outcome, guardEvent({ event: "approval_expired", actor: "system:guard", approval: row, detail: { was: row.status } }));
    if (closed) await onExpired?.((await store.approvals.get(row.id)) ?? row);
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

export async function sweepExpired(store: Store, now = new Date(), onExpired?: (row: ApprovalRow) => Promise<void>): Promise<void> {
  for (const row of await store.approvals.listOpen()) await keepIfUsable(store, row, undefined, now, onExpired);
}

/** The running server's sweep: due reminders, then escalations, then expiry, each told to the team once. */
export async function sweepApprovals(store: Store, now: Date, notices: Notices, pageUrlOf: (row: ApprovalRow) => Promise<string | undefined>): Promise<void> {
  for (const kind of ["reminder", "escalation"] as const) {
    const event = kind === "reminder" ? "approval_reminder" : "approval_escalated";
    const claimed = await store.approvals.claimDueReminders(kind, now, (row) =>
      guardEvent({ event, actor: "system:guard", approval: row, detail: { due: kind === "reminder" ? row.remind_at : row.escalate_at, expires_at: row.expires_at } }),
    );
    for (const row of claimed) await notices.emit(kind, row, await pageUrlOf(row));
  }
  await sweepExpired(store, now, (row) => notices.emit("outcome", row));
}
