/**
 * Closing requests that can no longer be used: expired ones, and ones whose
 * intervention changed since they were made (their hash no longer matches).
 * Each closure is audited once, by whichever process closes it first.
 */
import type { Db } from "../backend/local/store.js";
import { closeApproval, isExpired, isOpen, listOpenApprovals, type ApprovalRow } from "./approvals-store.js";
import { auditGuard } from "./guard-audit.js";

/** Closes an open `row` if it expired or (when `currentHash` is given) no longer matches. True if still usable. */
export function keepIfUsable(db: Db, row: ApprovalRow, currentHash: string | undefined, now: Date): boolean {
  if (!isOpen(row)) return true;
  if (isExpired(row, now)) {
    if (closeApproval(db, row.id, "expired", now, row.status === "approved" ? "expired before it was executed" : "expired unanswered")) {
      auditGuard(db, { event: "approval_expired", actor: "system:guard", approval: row, detail: { was: row.status } });
    }
    return false;
  }
  if (currentHash !== undefined && row.action_hash !== currentHash) {
    const why = "the intervention changed since the request was made";
    if (closeApproval(db, row.id, "void", now, why)) {
      auditGuard(db, { event: "approval_voided", actor: "system:guard", approval: row, detail: { was: row.status, why, current_hash: currentHash } });
    }
    return false;
  }
  return true;
}

export function sweepExpired(db: Db, now = new Date()): void {
  for (const row of listOpenApprovals(db)) keepIfUsable(db, row, undefined, now);
}
