/**
 * What a person sees who runs the server in a terminal (`npm start`, or
 * `retivo-mcp` typed by hand): stdio MCP is JSON-RPC meant for a client, so a
 * bare prompt would leave them guessing. When stdin is a TTY, this says in
 * plain words what is running, how to connect a client and how to watch it
 * work. It goes to stderr: stdout stays JSON-RPC even here.
 */
import { realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "./config.js";
import { launcherOf, shellQuote } from "./guard/cli-command.js";
import { VERSION } from "./version.js";

/** A clone runs `node <clone>/dist/cli.js`; an installed package lives under node_modules. */
function demoCommand(entry: string | undefined): string {
  if (entry === undefined) return "npm run demo";
  let real = entry;
  try {
    real = realpathSync(entry);
  } catch {
    // Not a file we can resolve: name the clone's script.
  }
  // dist/cli.js → the clone is two levels up; --prefix makes the command work from any directory.
  return /[\\/]node_modules[\\/]/.test(real) ? `node ${shellQuote(join(dirname(real), "cli-demo.js"))}` : `npm --prefix ${shellQuote(dirname(dirname(real)))} run demo`;
}

export function welcomeText(config: Readonly<Config>, entry: string | undefined = process.argv[1]): string {
  const launcher = launcherOf(entry);
  const where =
    config.backend.kind === "api"
      ? `the Retivo API at ${config.backend.apiUrl} (${config.backend.keyMode} key)`
      : `the local store ${config.dbPath} (demo data; nothing reaches real people)`;
  return [
    `retivo-mcp ${VERSION}: an MCP server for Retivo interventions, serving ${where}.`,
    "",
    "It is waiting for an MCP client on stdin/stdout (JSON-RPC): there is nothing to type here.",
    "Connect a client instead, which starts it by itself, e.g.:",
    `  claude mcp add retivo -- ${launcher} serve`,
    "  (Claude Desktop, Cursor, VS Code: see \"Connect a client\" in the README)",
    `To watch it work first: ${demoCommand(entry)}`,
    "Stop with Ctrl+C.",
    "",
  ].join("\n");
}

export function printWelcome(config: Readonly<Config>, stderr: NodeJS.WritableStream = process.stderr): void {
  stderr.write(welcomeText(config));
}
