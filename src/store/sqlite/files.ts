/**
 * The store's files are private: they hold customer emails, the webhook
 * secret and the operator passphrase's hash. Folders we create are 0700 and
 * the database 0600 whatever the umask; SQLite gives its `-wal` and `-shm`
 * files the database's own mode, and they are tightened too in case an older
 * version created them. A store created elsewhere that others can read is
 * left as it is but reported, so the operator can fix it.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
export const SIDECARS = ["-wal", "-shm", "-journal"] as const;

/** Creates missing folders (0700) and the database file (0600) before SQLite opens it. */
export function preparePrivateStore(path: string): void {
  const dir = dirname(path);
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  if (first) {
    // mkdir's mode is filtered by the umask: set it on every folder this call created.
    chmodSync(first, PRIVATE_DIR);
    let current = first;
    for (const part of relative(first, dir).split(sep).filter(Boolean)) chmodSync((current = join(current, part)), PRIVATE_DIR);
  }
  if (!existsSync(path)) {
    closeSync(openSync(path, "a", PRIVATE_FILE));
    chmodSync(path, PRIVATE_FILE);
  }
}

/** After SQLite opened it: the sidecars it created are tightened if the database itself is private. */
export function tightenSidecars(path: string): void {
  if ((statSync(path).mode & 0o077) !== 0) return;
  for (const suffix of SIDECARS) {
    const file = `${path}${suffix}`;
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, PRIVATE_FILE);
  }
}

/** A warning for the operator when others can read the store's files; undefined when they are private. */
export function exposureWarning(path: string): string | undefined {
  if (path === ":memory:" || process.platform === "win32" || !existsSync(path)) return undefined;
  const exposed = [path, ...SIDECARS.map((suffix) => `${path}${suffix}`)].filter((p) => existsSync(p) && (statSync(p).mode & 0o077) !== 0);
  if (exposed.length === 0) return undefined;
  return `the store is readable by other users of this machine (${exposed.join(", ")}): it holds customer emails, the webhook secret and the passphrase hash. Fix with: chmod 600 ${exposed.map((p) => `'${p}'`).join(" ")}`;
}
