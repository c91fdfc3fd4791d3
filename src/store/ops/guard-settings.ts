/**
 * The guard's own settings, one JSON value per key: the operator passphrase's
 * hash, the per-channel count of wrong passphrases, the approval page's key.
 * A value that is read, changed and written back is changed under its key's
 * named lock, so two processes counting a wrong guess at once count two.
 */
import type { Tx } from "../sql.js";

export async function getSetting(tx: Tx, key: string): Promise<string | undefined> {
  return (await tx.get<{ value: string }>("SELECT value FROM guard_settings WHERE key = ?", [key]))?.value;
}

export async function putSetting(tx: Tx, key: string, value: string, now: Date): Promise<void> {
  await tx.run(
    `INSERT INTO guard_settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [key, value, now.toISOString()],
  );
}

/** Stores `value` only if the key has none yet, and returns the value that stands (two racing writers agree on the first). */
export async function settleSetting(tx: Tx, key: string, value: string, now: Date): Promise<string> {
  await tx.run("INSERT INTO guard_settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING", [key, value, now.toISOString()]);
  return (await getSetting(tx, key))!;
}

/** Reads, changes and writes back one value under its key's lock. */
export async function updateSetting<T>(tx: Tx, key: string, change: (current: string | undefined) => { value: string; result: T }, now: Date): Promise<T> {
  await tx.lock(`guard_settings:${key}`);
  const { value, result } = change(await getSetting(tx, key));
  await putSetting(tx, key, value, now);
  return result;
}
