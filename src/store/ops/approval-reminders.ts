/**
 * Reminders and escalation of pending requests, at the times their tier set
 * (remind_at, escalate_at). Each is claimed once, by a guarded UPDATE on its
 * `*_at IS NULL`, in the transaction that audits it, so two replicas
 * sweeping at the same moment never both send one: the second finds it
 * claimed. A request that is no longer pending, or has expired, is never
 * reminded.
 */
import type { Tx } from "../sql.js";
import { getApproval, type ApprovalRow } from "./approvals.js";

export type ReminderKind = "reminder" | "escalation";

const COLUMNS: Record<ReminderKind, { due: string; done: string }> = {
  reminder: { due: "remind_at", done: "reminded_at" },
  escalation: { due: "escalate_at", done: "escalated_at" },
};

/** The due, unclaimed ones this call claimed (up to `limit`); `onClaimed` runs in the same transaction (its audit row). */
export async function claimDueReminders(tx: Tx, kind: ReminderKind, now: Date, limit: number, onClaimed: (row: ApprovalRow) => Promise<void>): Promise<ApprovalRow[]> {
  const { due, done } = COLUMNS[kind];
  const at = now.toISOString();
  const candidates = await tx.all<{ id: string }>(
    `SELECT id FROM approvals WHERE status = 'pending' AND ${due} IS NOT NULL AND ${due} <= ? AND ${done} IS NULL AND expires_at > ? ORDER BY ${due} LIMIT ?`,
    [at, at, limit],
  );
  const claimed: ApprovalRow[] = [];
  for (const { id } of candidates) {
    const result = await tx.run(`UPDATE approvals SET ${done} = ? WHERE id = ? AND status = 'pending' AND ${done} IS NULL`, [at, id]);
    if (result.changes !== 1) continue;
    const row = (await getApproval(tx, id))!;
    await onClaimed(row);
    claimed.push(row);
  }
  return claimed;
}
