/**
 * The exact command a human types to answer an approval request: this very
 * installation's CLI, on this very store. A bare `retivo-mcp approvals …`
 * would fail for a clone launched as `node …/dist/cli.js`, and would open a
 * different database whenever the client's config sets RETIVO_DB.
 */
import { realpathSync } from "node:fs";
import { resolve } from "node:path";

const SAFE = /^[A-Za-z0-9_./:@%+=,-]+$/;

/**
 * Single quotes: nothing inside expands, in POSIX shells (where a quote is
 * written '\'') or in PowerShell (where it is doubled).
 */
function shellQuote(value: string, platform: NodeJS.Platform = process.platform): string {
  if (SAFE.test(value)) return value;
  return platform === "win32" ? `'${value.replace(/'/g, "''")}'` : `'${value.replace(/'/g, "'\\''")}'`;
}

/** `npx` and npm's bin links start us through a symlink: name the file it points to. */
function realEntry(entry: string): string {
  try {
    return realpathSync(entry);
  } catch {
    return entry;
  }
}

/**
 * e.g. approvalsCommand(db)("approve apr_123") → `node /x/dist/cli.js approvals approve apr_123 --db /x/retivo.db`.
 * Undefined for an in-memory store: no other process can ever see its requests.
 */
export function approvalsCommand(
  dbPath: string,
  entry: string | undefined = process.argv[1],
  platform: NodeJS.Platform = process.platform,
): ((subcommand: string) => string) | undefined {
  if (dbPath === ":memory:") return undefined;
  const real = entry === undefined ? undefined : realEntry(entry);
  const launcher = real && /[\\/]dist[\\/]cli\.js$/.test(real) ? `node ${shellQuote(resolve(real), platform)}` : "retivo-mcp";
  const db = shellQuote(resolve(dbPath), platform);
  return (subcommand) => `${launcher} approvals ${subcommand} --db ${db}`;
}
