/**
 * Approve and rollback on the REST server are the operator's own acts. When
 * the store has an operator passphrase, they must present it too: otherwise
 * any process that can start `retivo-mcp api` with a key of its own (an agent
 * with a shell) could release messages the passphrase is meant to guard.
 * Once named operators exist, the caller names one (X-Retivo-Operator) and
 * gives that operator's passphrase, throttled on that operator's own REST
 * counter.
 */
import type { IncomingHttpHeaders } from "node:http";
import { ApprovalRefusedError, RateLimitedError } from "../errors.js";
import { auditGuard, auditRefusal } from "../guard/guard-audit.js";
import { attemptPassphrase, hasPassphrase } from "../guard/passphrase.js";
import { operatorsConfigured, proveOperatorByPassphrase } from "../guard/operators.js";
import type { Store } from "../store/index.js";

export const PASSPHRASE_HEADER = "x-retivo-operator-passphrase";
export const OPERATOR_HEADER = "x-retivo-operator";

const headerOf = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const given = headers[name];
  return Array.isArray(given) ? given[0] : given;
};

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
  if (tenant === "test") return;
  const named = await operatorsConfigured(store);
  if (!named && !(await hasPassphrase(store))) return;
  const candidate = headerOf(headers, PASSPHRASE_HEADER);
  const operator = headerOf(headers, OPERATOR_HEADER);
  if (named && (!operator || !candidate)) {
    throw new ApprovalRefusedError(
      "This store has named operators: approve and rollback need one of them. Nothing changed.",
      `Send the operator's name in the ${OPERATOR_HEADER} header and their passphrase in ${PASSPHRASE_HEADER} (the human operator types it; agents must not hold it).`,
    );
  }
  if (!candidate) {
    throw new ApprovalRefusedError(
      "This store has an operator passphrase: approve and rollback need it. Nothing changed.",
      `Send it in the ${PASSPHRASE_HEADER} header (the human operator types it; agents must not hold it).`,
    );
  }
  // Its own throttle: guessing through the REST server is no shortcut, and never locks the human's terminal.
  const proof = named ? await proveOperatorByPassphrase(store, operator!, candidate, "rest") : undefined;
  // An unknown operator is refused like a wrong passphrase: the REST server does not tell who exists.
  const result = proof === undefined ? await attemptPassphrase(store, candidate, "rest") : proof.ok ? ({ ok: true } as const) : proof.reason === "unknown_operator" ? ({ ok: false, reason: "wrong", lockedUntil: null } as const) : proof;
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
