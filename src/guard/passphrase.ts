/**
 * The optional operator passphrase, stored as an scrypt hash with its own salt
 * and cost parameters (so they can be raised later without breaking old
 * hashes). It is only ever typed by a human on the approval page or in the CLI.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import type { Db } from "../backend/local/store.js";

const KEY = "operator_passphrase";
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

/** True when no passphrase is set, or `candidate` matches it. */
export async function checkPassphrase(db: Db, candidate: string | undefined): Promise<boolean> {
  const current = stored(db);
  if (!current) return true;
  if (!candidate) return false;
  const expected = Buffer.from(current.hash, "base64");
  const actual = await derive(candidate, Buffer.from(current.salt, "base64"), current);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
