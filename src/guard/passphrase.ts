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
 * passphrases: human-answer.ts.)
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import type { Db } from "../backend/local/store.js";

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

function stored(db: Db): StoredPassphrase | undefined {
  const row = db.prepare("SELECT value FROM guard_settings WHERE key = ?").get(KEY) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as StoredPassphrase) : undefined;
}

export function hasPassphrase(db: Db): boolean {
  return stored(db) !== undefined;
}

function saveSetting(db: Db, key: string, value: string, now: Date): void {
  db.prepare(
    `INSERT INTO guard_settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(key, value, now.toISOString());
}

async function hashOf(passphrase: string): Promise<StoredPassphrase> {
  const salt = randomBytes(16);
  const hash = await derive(passphrase, salt, SCRYPT_COST);
  return { algo: "scrypt", ...SCRYPT_COST, salt: salt.toString("base64"), hash: hash.toString("base64") };
}

export async function setPassphrase(db: Db, passphrase: string, now = new Date()): Promise<void> {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new Error(`The passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  }
  saveSetting(db, KEY, JSON.stringify(await hashOf(passphrase)), now);
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

const failuresKey = (channel: PassphraseChannel) => `operator_passphrase_failures:${channel}`;

function failures(db: Db, channel: PassphraseChannel): FailureState {
  const row = db.prepare("SELECT value FROM guard_settings WHERE key = ?").get(failuresKey(channel)) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as FailureState) : { consecutive: 0, locked_until: null };
}

/** The end of the channel's current lockout, if attempts there are refused at `now`. */
export function passphraseLockedUntil(db: Db, channel: PassphraseChannel, now = new Date()): string | undefined {
  const { locked_until } = failures(db, channel);
  return locked_until && Date.parse(locked_until) > now.getTime() ? locked_until : undefined;
}

export type PassphraseAttempt =
  | { ok: true }
  /** `lockedUntil` is set when this wrong passphrase started (or lengthened) the channel's lockout. */
  | { ok: false; reason: "wrong"; consecutive: number; lockedUntil: string | null }
  /** Refused without being checked: too many wrong passphrases on this channel recently. */
  | { ok: false; reason: "locked"; lockedUntil: string };

/**
 * One throttled try of the passphrase on `channel` (true at once when none is
 * set). The attempt is counted as wrong before scrypt runs, in one IMMEDIATE
 * transaction with the lockout check, so parallel guesses from several
 * requests or processes cannot slip past the counter; a correct passphrase
 * then resets it.
 */
export async function attemptPassphrase(db: Db, candidate: string | undefined, channel: PassphraseChannel, now = new Date()): Promise<PassphraseAttempt> {
  const current = stored(db);
  if (!current) return { ok: true };
  const admission = db
    .transaction((): PassphraseAttempt => {
      const lockedUntil = passphraseLockedUntil(db, channel, now);
      if (lockedUntil) return { ok: false, reason: "locked", lockedUntil };
      const consecutive = failures(db, channel).consecutive + 1;
      const ms = lockoutMs(consecutive);
      const state = { consecutive, locked_until: ms ? new Date(now.getTime() + ms).toISOString() : null };
      saveSetting(db, failuresKey(channel), JSON.stringify(state), now);
      return { ok: false, reason: "wrong", consecutive, lockedUntil: state.locked_until };
    })
    .immediate();
  if (admission.ok || admission.reason === "locked") return admission;
  if (!(await matches(current, candidate))) return admission;
  const upgraded = weakerThanToday(current) ? JSON.stringify(await hashOf(candidate!)) : undefined;
  db.transaction(() => {
    saveSetting(db, failuresKey(channel), JSON.stringify({ consecutive: 0, locked_until: null }), now);
    if (upgraded) saveSetting(db, KEY, upgraded, now);
  }).immediate();
  return { ok: true };
}
