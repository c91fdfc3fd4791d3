/**
 * The optional operator passphrase, stored as an scrypt hash with its own salt
 * and cost parameters (so they can be raised later without breaking old
 * hashes; a hash made with weaker ones is upgraded on the next correct entry).
 * It is only ever typed by a human on the approval page, in the CLI, or sent
 * by the operator's own tooling to the local REST server.
 *
 * Guessing is throttled per channel: after LOCKOUT_AFTER consecutive wrong
 * passphrases on one channel, that channel refuses attempts for a minute, then
 * twice as long after each further wrong one, up to an hour. Channels never
 * share a counter, so an agent that can reach the page or the REST server can
 * lock those, but never the human's own terminal. A correct passphrase resets
 * its channel's count. (Each request also voids itself after a few wrong
 * passphrases: human-answer.ts.) Named operators' passphrases (operators.ts)
 * are made and checked the same way, with a counter per operator and
 * channel, so guessing one operator's passphrase on the page locks neither
 * the others nor anyone's terminal.
 *
 * On a PostgreSQL store whose database holds the passphrase (`retivo-mcp db
 * init`), the database checks it (bcrypt, against a hash this process cannot
 * read) and is the only path to an approved request; the throttle here
 * still counts every try. There the named operators' passphrases live in the
 * database too (keyed by the operator's name): the scrypt column of the
 * readable `operators` table is never trusted in that mode, since the
 * server's own role could write it.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { DEFAULT_OPERATOR } from "../domain/operator.js";
import type { Store } from "../store/index.js";

const KEY = "operator_passphrase";
export const MIN_PASSPHRASE_LENGTH = 12;

/** Where a passphrase was typed: each has its own throttle. */
export type PassphraseChannel = "cli" | "page" | "rest";

interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

interface StoredPassphrase extends ScryptCost {
  algo: "scrypt";
  salt: string;
  hash: string;
}

/**
 * N=2^17, r=8, p=1: 128 MiB of memory and roughly half a second per try on a
 * server core, the cost OWASP recommends for scrypt. Memory-hard: a guessing
 * rig needs 128 MiB per parallel guess, which is what makes an offline attack
 * on a stolen hash slow. Derivations run one at a time in a process, so
 * parallel guesses cannot multiply the memory either.
 */
export const SCRYPT_COST: Readonly<ScryptCost> = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 32;

let derivations: Promise<unknown> = Promise.resolve();

function derive(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 128 * cost.N * cost.r * 2 };
  const run = () =>
    new Promise<Buffer>((resolve, reject) =>
      scrypt(passphrase.normalize("NFKC"), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
    );
  const next = derivations.then(run, run);
  derivations = next.catch(() => undefined);
  return next;
}

async function stored(store: Store): Promise<StoredPassphrase | undefined> {
  const value = await store.guardSettings.get(KEY);
  return value ? (JSON.parse(value) as StoredPassphrase) : undefined;
}

/** Whether the database itself holds the operator passphrase: then it checks every one, and approves only through it. */
export async function passphraseInDatabase(store: Store): Promise<boolean> {
  return (await store.databaseGuard?.passphraseSet(DEFAULT_OPERATOR)) === true;
}

export async function hasPassphrase(store: Store): Promise<boolean> {
  return (await passphraseInDatabase(store)) || (await stored(store)) !== undefined;
}

/** A new passphrase's stored form (JSON): the scrypt hash at today's cost, with its salt. */
export async function passphraseRecord(passphrase: string): Promise<string> {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new Error(`The passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  return JSON.stringify(await hashOf(passphrase));
}

async function hashOf(passphrase: string): Promise<StoredPassphrase> {
  const salt = randomBytes(16);
  const hash = await derive(passphrase, salt, SCRYPT_COST);
  return { algo: "scrypt", ...SCRYPT_COST, salt: salt.toString("base64"), hash: hash.toString("base64") };
}

/** Sets the passphrase; where the database holds it, replacing it needs the current one (checked there). */
export async function setPassphrase(store: Store, passphrase: string, now = new Date(), current?: string): Promise<void> {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new Error(`The passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  }
  if (await passphraseInDatabase(store)) {
    if (!(await store.databaseGuard!.setPassphrase(DEFAULT_OPERATOR, current ?? null, passphrase, now))) throw new Error("The current passphrase is wrong; nothing changed.");
    return;
  }
  await store.guardSettings.put(KEY, JSON.stringify(await hashOf(passphrase)), now);
}

async function matches(current: StoredPassphrase, candidate: string | undefined): Promise<boolean> {
  if (!candidate) return false;
  const expected = Buffer.from(current.hash, "base64");
  const actual = await derive(candidate, Buffer.from(current.salt, "base64"), current);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function weakerThanToday(current: StoredPassphrase): boolean {
  return current.N < SCRYPT_COST.N || current.r < SCRYPT_COST.r || current.p < SCRYPT_COST.p;
}

/** Consecutive wrong passphrases on one channel before it refuses attempts for a while. */
export const LOCKOUT_AFTER = 5;
export const LOCKOUT_FIRST_MS = 60_000;
export const LOCKOUT_MAX_MS = 60 * 60_000;

interface FailureState {
  consecutive: number;
  locked_until: string | null;
}

/** How long attempts are refused after the `consecutive`-th wrong passphrase in a row. */
export function lockoutMs(consecutive: number): number {
  if (consecutive < LOCKOUT_AFTER) return 0;
  return Math.min(LOCKOUT_MAX_MS, LOCKOUT_FIRST_MS * 2 ** Math.min(consecutive - LOCKOUT_AFTER, 16));
}

/** The throttle's counter: one per channel for the single passphrase, one per channel and operator for named ones. */
const failuresKey = (channel: PassphraseChannel, operator?: string) =>
  operator === undefined ? `operator_passphrase_failures:${channel}` : `operator_passphrase_failures:${channel}:operator:${operator}`;

function failuresIn(value: string | undefined): FailureState {
  return value ? (JSON.parse(value) as FailureState) : { consecutive: 0, locked_until: null };
}

function lockedAt(state: FailureState, now: Date): string | undefined {
  return state.locked_until && Date.parse(state.locked_until) > now.getTime() ? state.locked_until : undefined;
}

/** The end of the channel's current lockout, if attempts there are refused at `now`. */
export async function passphraseLockedUntil(store: Store, channel: PassphraseChannel, now = new Date(), operator?: string): Promise<string | undefined> {
  return lockedAt(failuresIn(await store.guardSettings.get(failuresKey(channel, operator))), now);
}

export type PassphraseAttempt =
  | { ok: true }
  /** `lockedUntil` is set when this wrong passphrase started (or lengthened) the channel's lockout. */
  | { ok: false; reason: "wrong"; consecutive: number; lockedUntil: string | null }
  /** Refused without being checked: too many wrong passphrases on this channel recently. */
  | { ok: false; reason: "locked"; lockedUntil: string };

/**
 * One throttled try of the passphrase on `channel` (true at once when none is
 * set). The attempt is counted as wrong before scrypt runs, in one atomic
 * update of the channel's counter with the lockout check, so parallel guesses
 * from several requests or processes cannot slip past the counter; a correct
 * passphrase then resets it.
 */
export async function attemptPassphrase(store: Store, candidate: string | undefined, channel: PassphraseChannel, now = new Date()): Promise<PassphraseAttempt> {
  if (await passphraseInDatabase(store)) {
    return attemptAgainst(store, async (candidate) => store.databaseGuard!.check(DEFAULT_OPERATOR, candidate), candidate, failuresKey(channel), now);
  }
  const current = await stored(store);
  if (!current) return { ok: true };
  return attemptAgainst(store, (candidate) => matches(current, candidate), candidate, failuresKey(channel), now, async (right) => {
    if (weakerThanToday(current)) await store.guardSettings.put(KEY, JSON.stringify(await hashOf(right)), now);
  });
}

/**
 * One throttled try of a named operator's passphrase (`record`, the stored
 * JSON) on `channel`, counted on that operator's own counter there. An
 * operator without a passphrase never passes: something else (a login, a
 * signed webhook) must vouch for them.
 */
export async function attemptOperatorPassphrase(
  store: Store,
  operator: { name: string; passphrase: string | null },
  candidate: string | undefined,
  channel: PassphraseChannel,
  upgrade: (record: string) => Promise<void>,
  now = new Date(),
): Promise<PassphraseAttempt> {
  if (await passphraseInDatabase(store)) {
    // An operator the database holds no passphrase for never passes here: check() answers false for them.
    return attemptAgainst(store, async (c) => store.databaseGuard!.check(operator.name, c), candidate, failuresKey(channel, operator.name), now);
  }
  const current = operator.passphrase ? (JSON.parse(operator.passphrase) as StoredPassphrase) : undefined;
  if (!current) return { ok: false, reason: "wrong", consecutive: 0, lockedUntil: null };
  return attemptAgainst(store, (c) => matches(current, c), candidate, failuresKey(channel, operator.name), now, async (right) => {
    if (weakerThanToday(current)) await upgrade(JSON.stringify(await hashOf(right)));
  });
}

/** Counts the try as wrong first, then asks `isRight`; a right one resets the counter and may rehash (`afterRight`). */
async function attemptAgainst(
  store: Store,
  isRight: (candidate: string) => Promise<boolean>,
  candidate: string | undefined,
  key: string,
  now: Date,
  afterRight?: (candidate: string) => Promise<void>,
): Promise<PassphraseAttempt> {
  const admission = await store.guardSettings.update(
    key,
    (value): { value: string; result: PassphraseAttempt } => {
      const state = failuresIn(value);
      const lockedUntil = lockedAt(state, now);
      if (lockedUntil) return { value: JSON.stringify(state), result: { ok: false, reason: "locked", lockedUntil } };
      const consecutive = state.consecutive + 1;
      const ms = lockoutMs(consecutive);
      const next = { consecutive, locked_until: ms ? new Date(now.getTime() + ms).toISOString() : null };
      return { value: JSON.stringify(next), result: { ok: false, reason: "wrong", consecutive, lockedUntil: next.locked_until } };
    },
    now,
  );
  if (admission.ok || admission.reason === "locked") return admission;
  if (!candidate || !(await isRight(candidate))) return admission;
  await store.guardSettings.put(key, JSON.stringify({ consecutive: 0, locked_until: null }), now);
  await afterRight?.(candidate);
  return { ok: true };
}
