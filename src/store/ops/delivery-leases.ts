/**
 * Leases on dispatch work (a `sent` row's delivery, a webhook retraction),
 * so several processes on one store each know who is sending what, and a
 * dead one's work is taken over after a bounded time rather than a fixed
 * worst case. The owner renews its leases while the work is in flight
 * (a heartbeat); a lease that lapsed means its owner stopped renewing (died,
 * lost the store) and the next dispatcher to poll may take the work, which
 * then sends the same delivery id, so a receiver applies it at most once.
 *
 * Work without a lease row (queued by a process that never leased it, such as
 * a rollback decided in the CLI, or left by a version without leases) counts
 * as leased from its stamp for one lease time.
 */
import type { Tx } from "../sql.js";

/** Who holds a lease and for how long each grant or renewal lasts. */
export interface LeaseTerms {
  owner: string;
  ms: number;
}

const expiry = (now: Date, terms: LeaseTerms) => new Date(now.getTime() + terms.ms).toISOString();

/**
 * Grants `key` to the owner when it is free, lapsed or already the owner's;
 * false when another owner holds it. One statement, so two processes racing
 * for the same key cannot both win (PostgreSQL re-checks the condition on the
 * row the other inserted).
 */
export async function takeLease(tx: Tx, key: string, terms: LeaseTerms, now: Date): Promise<boolean> {
  const taken = await tx.run(
    `INSERT INTO delivery_leases (work_key, owner, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (work_key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
     WHERE delivery_leases.expires_at <= ? OR delivery_leases.owner = excluded.owner`,
    [key, terms.owner, expiry(now, terms), now.toISOString()],
  );
  return taken.changes === 1;
}

/** The heartbeat: extends the owner's leases on `keys`; returns how many it still held. */
export async function renewLeases(tx: Tx, keys: readonly string[], terms: LeaseTerms, now: Date): Promise<number> {
  if (keys.length === 0) return 0;
  const renewed = await tx.run(`UPDATE delivery_leases SET expires_at = ? WHERE owner = ? AND work_key IN (${keys.map(() => "?").join(", ")})`, [
    expiry(now, terms),
    terms.owner,
    ...keys,
  ]);
  return renewed.changes;
}

/** Gives a lease up once its work is done (or stopped), so nothing waits for it to lapse. */
export async function releaseLease(tx: Tx, key: string, owner: string): Promise<void> {
  await tx.run("DELETE FROM delivery_leases WHERE work_key = ? AND owner = ?", [key, owner]);
}

/**
 * SQL condition: the work keyed by `keyExpression`, stamped by `stampColumn`,
 * is nobody's now: its lease lapsed, or it has none and its stamp is older
 * than one lease time. Parameters, in order: staleBefore, now.
 */
export function unleased(keyExpression: string, stampColumn: string): string {
  return `((NOT EXISTS (SELECT 1 FROM delivery_leases l WHERE l.work_key = ${keyExpression}) AND ${stampColumn} < ?)
     OR EXISTS (SELECT 1 FROM delivery_leases l WHERE l.work_key = ${keyExpression} AND l.expires_at <= ?))`;
}
