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

export async function requireOperatorPassphrase(db: Db, headers: IncomingHttpHeaders): Promise<void> {
  if (!hasPassphrase(db)) return;
  const given = headers[PASSPHRASE_HEADER];
  const candidate = Array.isArray(given) ? given[0] : given;
  // Throttled like the page and the CLI: guessing through the REST server is no shortcut.
  const attempt = await attemptPassphrase(db, candidate);
  if (attempt.ok) return;
  if (attempt.reason === "locked") {
    const seconds = Math.max(1, Math.ceil((Date.parse(attempt.lockedUntil) - Date.now()) / 1000));
    throw new RateLimitedError("Too many wrong operator passphrases: approvals are locked for now. Nothing changed.", seconds, `Retry after ${attempt.lockedUntil}.`);
  }
  throw new ApprovalRefusedError(
    candidate ? "Wrong operator passphrase: nothing changed." : "This store has an operator passphrase: approve and rollback need it. Nothing changed.",
    `Send it in the ${PASSPHRASE_HEADER} header (the human operator types it; agents must not hold it).`,
  );
}
