/**
 * `retivo-mcp audit …`: reading the append-only log and verifying its hash
 * chain. `verify` exits 1 on a broken chain so scripts and CI can rely on it.
 */
import { openStore, type AuditRow } from "../store/index.js";
import type { Config } from "../config.js";
import { writeLine, type CommandIo } from "./cli-io.js";
import { oneLine } from "../text/sanitize.js";
import { ownLine } from "./text-layout.js";

const USAGE = `Usage: retivo-mcp audit <command>
  list [N]                the N most recent events (default 50)
  list INTERVENTION_ID    every event of one intervention
  INTERVENTION_ID         the same, shorter
  verify                  check the hash chain; exit code 1 if it is broken`;

/** What `retivo-mcp help` advertises as `audit ID`: an intervention id, as the tools print them. */
const INTERVENTION_ID = /^int_[A-Za-z0-9_-]{1,60}$/;

/**
 * One row, one line: actors and details carry agent-written text (client
 * names, reasons). In a terminal the line is wrapped to its width with
 * indented continuations, so no row's text can reach column 0, where a seq
 * starts a row; piped, each row stays one line for scripts.
 */
function formatRow(row: AuditRow, io: CommandIo): string[] {
  const line = [row.seq, row.at, row.event, row.intervention_id ?? "-", oneLine(row.actor), oneLine(row.detail, 4000)].join("  ");
  const columns = (io.stdout as { columns?: number }).columns;
  return io.isTTY && typeof columns === "number" && columns > 20 ? ownLine(line, columns) : [line];
}

export async function runAuditCommand(config: Readonly<Config>, args: string[], io: CommandIo): Promise<number> {
  // `audit int_…` is `audit list int_…`.
  const [sub = "list", target] = args.length === 1 && INTERVENTION_ID.test(args[0]!) ? ["list", args[0]] : args;
  if (sub !== "list" && sub !== "verify") {
    writeLine(sub === "help" ? io.stdout : io.stderr, USAGE);
    return sub === "help" ? 0 : 2;
  }
  const store = await openStore(config);
  try {
    if (sub === "verify") {
      const verdict = await store.audit.verify();
      if (verdict.ok) {
        writeLine(io.stdout, `Audit chain intact: ${verdict.rows} rows verified.`);
        return 0;
      }
      writeLine(io.stderr, `Audit chain BROKEN at row ${verdict.brokenAt}: ${verdict.why}.`);
      return 1;
    }
    const rows = target === undefined || /^\d+$/.test(target) ? await store.audit.recent(Number(target ?? 50)) : await store.audit.trail(target);
    if (rows.length === 0) writeLine(io.stdout, target === undefined || /^\d+$/.test(target) ? "No audit events." : `No audit events for ${oneLine(target, 60)}.`);
    for (const row of rows) for (const line of formatRow(row, io)) writeLine(io.stdout, line);
    return 0;
  } finally {
    await store.close();
  }
}
