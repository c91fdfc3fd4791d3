/**
 * Named operators: who they are, and proving one by their passphrase. Once
 * any operator exists, every approval names one and is vouched for by that
 * operator's own passphrase (or, from other channels, a login or a signed
 * webhook): the single operator passphrase and anonymous answers no longer
 * approve anything. Without operators, the anonymous human keeps deciding as
 * before. Each operator's guesses are throttled on their own counter per
 * channel (passphrase.ts), so an agent guessing one operator's passphrase on
 * the page locks out neither the others nor anyone's terminal.
 */
import type { OperatorRow, Store } from "../store/index.js";
import { oneLine } from "../text/sanitize.js";
import { guardEvent } from "./guard-audit.js";
import { attemptOperatorPassphrase, type PassphraseAttempt, type PassphraseChannel } from "./passphrase.js";

/** Short, plain and unambiguous in a terminal, a log line or a chat message. */
export const OPERATOR_NAME = /^[a-z][a-z0-9._-]{0,39}$/;

export function operatorNameProblem(name: string | undefined): string | undefined {
  if (!name) return "Name the operator.";
  if (!OPERATOR_NAME.test(name)) return `'${oneLine(name, 60)}' is not a valid operator name: 1 to 40 characters, lower-case letters, digits, '.', '_' or '-', starting with a letter.`;
  return undefined;
}

export async function operatorsConfigured(store: Store): Promise<boolean> {
  return (await store.operators.list()).length > 0;
}

export type OperatorProof = { ok: true; operator: OperatorRow } | { ok: false; reason: "unknown_operator" } | (Extract<PassphraseAttempt, { ok: false }> & { operator: OperatorRow });

/** One throttled try of `name`'s passphrase on `channel`. */
export async function proveOperatorByPassphrase(store: Store, name: string, candidate: string | undefined, channel: PassphraseChannel, now = new Date()): Promise<OperatorProof> {
  const operator = await store.operators.get(name);
  if (!operator) return { ok: false, reason: "unknown_operator" };
  const upgrade = async (record: string) => void (await store.operators.setPassphrase(name, record, guardEvent({ event: "operator_passphrase_set", actor: "system:guard", detail: { operator: name, upgraded: true } })));
  const attempt = await attemptOperatorPassphrase(store, operator, candidate, channel, upgrade, now);
  return attempt.ok ? { ok: true, operator } : { ...attempt, operator };
}
