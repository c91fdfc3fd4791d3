/**
 * Approve and rollback on the REST server are the operator's own acts. When
 * the store has an operator passphrase, they must present it too: otherwise
 * any process that can start `retivo-mcp api` with a key of its own (an agent
 * with a shell) could release messages the passphrase is meant to guard.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Db } from "../backend/local/store.js";
import { ApprovalRefusedError, RateLimitedError } from "../errors.js";
import { attemptPassphrase, hasPassphrase } from "../guard/passphrase.js";

export const PASSPHRASE_HEADER = "x-retivo-operator-passphrase";

/**
 * The test data set only ever simulates deliveries, so it needs no passphrase.
 * A request without the header is refused without counting as a guess: a key
 * holder must not be able to lock the human out by merely calling.
 */
export async function requireOperatorPassphrase(db: Db, headers: IncomingHttpHeaders, tenant: string): Promise<void> {
  if (tenant === "test" || !hasPassphrase(db)) return;
  const given = headers[PASSPHRASE_HEADER];
  const candidate = Array.isArray(given) ? given[0] : given;
  if (!candidate) {
    throw new ApprovalRefusedError(
      "This store has an operator passphrase: approve and rollback need it. Nothing changed.",
      `Send it in the ${PASSPHRASE_HEADER} header (the human operator types it; agents must not hold it).`,
    );
  }
  // Its own throttle: guessing through the REST server is no shortcut, and never locks the human's terminal.
  const attempt = await attemptPassphrase(db, candidate, "rest");
  if (attempt.ok) return;
  if (attempt.reason === "locked") {
    const seconds = Math.max(1, Math.ceil((Date.parse(attempt.lockedUntil) - Date.now()) / 1000));
    throw new RateLimitedError("Too many wrong operator passphrases: approvals are locked for now. Nothing changed.", seconds, `Retry after ${attempt.lockedUntil}.`);
  }
  throw new ApprovalRefusedError("Wrong operator passphrase: nothing changed.", "Repeated wrong passphrases lock approvals for a while.");
}
