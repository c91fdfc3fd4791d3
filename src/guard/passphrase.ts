/**
 * The optional operator passphrase, stored as an scrypt hash with its own salt
 * and cost parameters (so they can be raised later without breaking old
 * hashes). It is only ever typed by a human on the approval page or in the CLI.
 *
 * Guessing is throttled across every request and every process: after
 * LOCKOUT_AFTER consecutive wrong passphrases anywhere, attempts are refused
 * for a minute, then twice as long after each further wrong one, up to an
 * hour. A correct passphrase resets the count.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import type { Db } from "../backend/local/store.js";

const KEY = "operator_passphrase";
const FAILURES_KEY = "operator_passphrase_failures";
export const MIN_PASSPHRASE_LENGTH = 8;

interface StoredPassphrase {
  algo: "scrypt";
  N: number;
  r: number;
  p: number;
  salt: string;
  hash: string;
}

// N=2^15, r=8 costs ~32 MiB and tens of milliseconds: cheap for a human, slow for guessing.
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(passphrase: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 128 * cost.N * cost.r * 2 };
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize("NFKC"), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function stored(db: Db): StoredPassphrase | undefined {
  const row = db.prepare("SELECT value FROM guard_settings WHERE key = ?").get(KEY) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as StoredPassphrase) : undefined;
}

export function hasPassphrase(db: Db): boolean {
  return stored(db) !== undefined;
}

export async function setPassphrase(db: Db, passphrase: string, now = new Date()): Promise<void> {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new Error(`The passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  }
  const salt = randomBytes(16);
  const hash = await derive(passphrase, salt, COST);
  const value: StoredPassphrase = { algo: "scrypt", ...COST, salt: salt.toString("base64"), hash: hash.toString("base64") };
  db.prepare(
    `INSERT INTO guard_settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(KEY, JSON.stringify(value), now.toISOString());
}

async function matches(current: StoredPassphrase, candidate: string | undefined): Promise<boolean> {
  if (!candidate) return false;
  const expected = Buffer.from(current.hash, "base64");
  const actual = await derive(candidate, Buffer.from(current.salt, "base64"), current);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}


/** Consecutive wrong passphrases, anywhere, before attempts are refused for a while. */
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

function failures(db: Db): FailureState {
  const row = db.prepare("SELECT value FROM guard_settings WHERE key = ?").get(FAILURES_KEY) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as FailureState) : { consecutive: 0, locked_until: null };
}

function saveFailures(db: Db, state: FailureState, now: Date): void {
  db.prepare(
    `INSERT INTO guard_settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(FAILURES_KEY, JSON.stringify(state), now.toISOString());
}

/** The end of the current lockout, if attempts are refused at `now`. */
export function passphraseLockedUntil(db: Db, now = new Date()): string | undefined {
  const { locked_until } = failures(db);
  return locked_until && Date.parse(locked_until) > now.getTime() ? locked_until : undefined;
}

export type PassphraseAttempt =
  | { ok: true }
  /** `lockedUntil` is set when this wrong passphrase started (or lengthened) a lockout. */
  | { ok: false; reason: "wrong"; consecutive: number; lockedUntil: string | null }
  /** Refused without being checked: too many wrong passphrases recently. */
  | { ok: false; reason: "locked"; lockedUntil: string };

/**
 * One throttled try of the passphrase (true at once when none is set). The
 * attempt is counted as wrong before scrypt runs, in one IMMEDIATE transaction
 * with the lockout check, so parallel guesses from several requests or
 * processes cannot slip past the counter; a correct passphrase then resets it.
 */
export async function attemptPassphrase(db: Db, candidate: string | undefined, now = new Date()): Promise<PassphraseAttempt> {
  const current = stored(db);
  if (!current) return { ok: true };
  const admission = db
    .transaction((): PassphraseAttempt => {
      const lockedUntil = passphraseLockedUntil(db, now);
      if (lockedUntil) return { ok: false, reason: "locked", lockedUntil };
      const consecutive = failures(db).consecutive + 1;
      const ms = lockoutMs(consecutive);
      const state = { consecutive, locked_until: ms ? new Date(now.getTime() + ms).toISOString() : null };
      saveFailures(db, state, now);
      return { ok: false, reason: "wrong", consecutive, lockedUntil: state.locked_until };
    })
    .immediate();
  if (admission.ok || admission.reason === "locked") return admission;
  if (!(await matches(current, candidate))) return admission;
  db.transaction(() => saveFailures(db, { consecutive: 0, locked_until: null }, now)).immediate();
  return { ok: true };
}
