/**
 * Nonces of signed decisions that arrived through the approval webhook: the
 * first sighting of a nonce claims it, any later one (on this replica or
 * another on the same store) is a replay. Claims drop the nonces whose
 * timestamps could no longer pass the window anyway, so the table stays as
 * small as the traffic of the last few minutes.
 */
import type { Tx } from "../sql.js";

/** True when `nonce` was not seen before (and is now taken until `expiresAt`). */
export async function claimWebhookNonce(tx: Tx, nonce: string, expiresAt: Date, now: Date): Promise<boolean> {
  await tx.run("DELETE FROM approval_webhook_nonces WHERE expires_at < ?", [now.toISOString()]);
  const result = await tx.run("INSERT INTO approval_webhook_nonces (nonce, seen_at, expires_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING", [
    nonce,
    now.toISOString(),
    expiresAt.toISOString(),
  ]);
  return result.changes === 1;
}
