/**
 * The exact command a human types to answer an approval request: this very
 * installation's CLI, on this very store. A bare `retivo-mcp approvals …`
 * would fail for a clone launched as `node …/dist/cli.js`, and would open a
 * different database whenever the client's config sets RETIVO_DB.
 */
import { resolve } from "node:path";

const SAFE = /^[A-Za-z0-9_./:@%+=,-]+$/;

/** Quotes for POSIX shells and PowerShell alike when the path needs it. */
function shellQuote(value: string): string {
  return SAFE.test(value) ? value : `"${value.replace(/(["\\$`])/g, "\\$1")}"`;
}

/** e.g. approvalsCommand(db)("approve apr_123") → `node /x/dist/cli.js approvals approve apr_123 --db /x/retivo.db` */
export function approvalsCommand(dbPath: string, entry: string | undefined = process.argv[1]): (subcommand: string) => string {
  const launcher = entry && /[\\/]dist[\\/]cli\.js$/.test(entry) ? `node ${shellQuote(resolve(entry))}` : "retivo-mcp";
  const db = shellQuote(resolve(dbPath));
  return (subcommand) => `${launcher} approvals ${subcommand} --db ${db}`;
}
