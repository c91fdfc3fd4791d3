/**
 * Approve and rollback on the REST server are the operator's own acts. When
 * the store has an operator passphrase, they must present it too: otherwise
 * any process that can start `retivo-mcp api` with a key of its own (an agent
 * with a shell) could release messages the passphrase is meant to guard.
 */
import type { IncomingHttpHeaders } from "node:http";
import { ApprovalRefusedError, RateLimitedError } from "../errors.js";
import { auditGuard, auditRefusal } from "../guard/guard-audit.js";
import { attemptPassphrase, hasPassphrase } from "../guard/passphrase.js";
import type { Store } from "../store/index.js";

export const PASSPHRASE_HEADER = "x-retivo-operator-passphrase";

/**
 * The test data set only ever simulates deliveries, so it needs no passphrase.
 * A request without the header is refused without counting as a guess: a key
 * holder must not be able to lock the human out by merely calling.
 */
/**
 * Wrong and throttled guesses are audited as what they are, unverified
 * attempts on the REST channel (a checked wrong one always, a throttled one
 * within the refusal budget: it costs the sender nothing).
 */
export async function requireOperatorPassphrase(
  store: Store,
  headers: IncomingHttpHeaders,
  tenant: string,
  attempt: { interventionId: string | undefined; key: string },
): Promise<void> {
  if (tenant === "test" || !(await hasPassphrase(store))) return;
  const given = headers[PASSPHRASE_HEADER];
  const candidate = Array.isArray(given) ? given[0] : given;
  if (!candidate) {
    throw new ApprovalRefusedError(
      "This store has an operator passphrase: approve and rollback need it. Nothing changed.",
      `Send it in the ${PASSPHRASE_HEADER} header (the human operator types it; agents must not hold it).`,
    );
  }
  // Its own throttle: guessing through the REST server is no shortcut, and never locks the human's terminal.
  const result = await attemptPassphrase(store, candidate, "rest");
  if (result.ok) return;
  const entry = {
    event: "approval_refused" as const,
    actor: "unverified:rest",
    interventionId: attempt.interventionId ?? null,
    detail: { via: "rest", key: attempt.key, reason: result.reason === "locked" ? "passphrase_throttled" : "wrong_passphrase", locked_until: result.lockedUntil },
  };
  if (result.reason === "locked") await auditRefusal(store, "channel:rest", entry);
  else await auditGuard(store, entry);
  if (result.reason === "locked") {
    const seconds = Math.max(1, Math.ceil((Date.parse(result.lockedUntil) - Date.now()) / 1000));
    throw new RateLimitedError("Too many wrong operator passphrases: approvals are locked for now. Nothing changed.", seconds, `Retry after ${result.lockedUntil}.`);
  }
  throw new ApprovalRefusedError("Wrong operator passphrase: nothing changed.", "Repeated wrong passphrases lock approvals for a while.");
}
