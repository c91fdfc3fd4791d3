/**
 * The exact command a human types to answer an approval request: this very
 * installation's CLI, on this very store. A bare `retivo-mcp approvals …`
 * would fail for a clone launched as `node …/dist/cli.js`, and would open a
 * different database whenever the client's config sets RETIVO_DB. An
 * installed package is named the way it was installed: `retivo-mcp` for a
 * global install (npm put it on PATH), `npx retivo-mcp@VERSION` for one that
 * npx fetched into its cache.
 */
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { VERSION } from "../version.js";

const SAFE = /^[A-Za-z0-9_./:@%+=,-]+$/;

/**
 * Single quotes: nothing inside expands, in POSIX shells (where a quote is
 * written '\'') or in PowerShell (where it is doubled).
 */
export function shellQuote(value: string, platform: NodeJS.Platform = process.platform): string {
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

const NPX_CACHE = /[\\/]_npx[\\/][^\\/]+[\\/]node_modules[\\/]retivo-mcp[\\/]dist[\\/]cli\.js$/;
const INSTALLED = /[\\/]node_modules[\\/]retivo-mcp[\\/]dist[\\/]cli\.js$/;
const CLONE = /[\\/]dist[\\/]cli\.js$/;

/**
 * How a person starts this very installation from a shell: `node <clone>/dist/cli.js`,
 * `retivo-mcp` or `npx retivo-mcp@VERSION`. Also what the terminal welcome tells them to connect.
 */
export function launcherOf(entry: string | undefined = process.argv[1], platform: NodeJS.Platform = process.platform): string {
  const real = entry === undefined ? undefined : realEntry(entry);
  if (real === undefined) return "retivo-mcp";
  if (NPX_CACHE.test(real)) return `npx retivo-mcp@${VERSION}`;
  if (INSTALLED.test(real)) return "retivo-mcp";
  if (CLONE.test(real)) return `node ${shellQuote(resolve(real), platform)}`;
  return "retivo-mcp";
}

/**
 * e.g. approvalsCommand(db)("approve apr_123") → `node /x/dist/cli.js approvals approve apr_123 --db /x/retivo.db`
 * from a clone, `retivo-mcp approvals approve apr_123 --db …` from a global install.
 * Undefined for an in-memory store: no other process can ever see its requests.
 */
export function approvalsCommand(
  dbPath: string,
  entry: string | undefined = process.argv[1],
  platform: NodeJS.Platform = process.platform,
): ((subcommand: string) => string) | undefined {
  if (dbPath === ":memory:") return undefined;
  const launcher = launcherOf(entry, platform);
  const db = shellQuote(resolve(dbPath), platform);
  return (subcommand) => `${launcher} approvals ${subcommand} --db ${db}`;
}
