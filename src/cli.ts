#!/usr/bin/env node
/**
 * Entry point: parse the configuration once, then hand it to the one
 * subcommand asked for. Nothing here knows tools or backends.
 */
import { parseConfig, type Config } from "./config.js";
import { storeFaultOf } from "./store/index.js";
import { ConfigError, RetivoError } from "./errors.js";
import { createLogger } from "./log.js";
import { VERSION } from "./version.js";

const HELP = `retivo-mcp ${VERSION}: MCP server for Retivo interventions

Usage:
  retivo-mcp [serve] [--stdio | --http [--host H] [--port P]]
                                                     run the MCP server (stdio by default)
  retivo-mcp api [--host H] [--port P]                serve the Retivo REST API over the local store
  retivo-mcp approvals list|show ID|approve ID|deny ID|passphrase [--as NAME]
                                                     human approvals, in your own terminal
  retivo-mcp operators list|add NAME|remove NAME|passphrase NAME
                                                     the named operators who decide them
  retivo-mcp audit [list|verify|ID]                  read or verify the audit log
  retivo-mcp seed [--seed N]                         create demo data in an empty store
  retivo-mcp db init [--admin-url URL] [--owner-role R] [--server-role R] [--print-sql]
                                                     set up PostgreSQL so the database keeps the guard

Options:
  --db PATH         SQLite file of the local store (env RETIVO_DB)
  --llm P           auto|openai|sampling|template (env RETIVO_LLM)
  --approval P      elicit|deny (env RETIVO_APPROVAL)
  --read-only       register read tools only (env RETIVO_READ_ONLY)
  --tools a,b       allow-list of tools (env RETIVO_TOOLS)
  --log-level L     pino level, logs go to stderr (env LOG_LEVEL)

Set RETIVO_API_KEY (rt_live_… or rt_test_…) to run on the Retivo API instead of the local store.
Every environment variable is listed in the README's configuration table.
`;

async function run(config: Readonly<Config>): Promise<number | undefined> {
  // A person watching a terminal reads lines, not JSON; pipes and files (and log tools) keep JSON.
  const logger = createLogger(config.logLevel, 2, { pretty: process.stderr.isTTY === true });
  const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: !!process.stdin.isTTY };
  switch (config.command) {
    case "help":
      process.stdout.write(HELP);
      return 0;
    case "version":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case "seed": {
      const { runSeedCommand } = await import("./seed-command.js");
      return runSeedCommand(config, io);
    }
    case "serve": {
      if (config.transport === "stdio" && process.stdin.isTTY) {
        const { printWelcome } = await import("./cli-welcome.js");
        printWelcome(config);
      }
      const { openRuntime } = await import("./runtime.js");
      const runtime = await openRuntime(config, logger);
      if (config.transport === "http") {
        const { serveHttp } = await import("./transport/http.js");
        await serveHttp(runtime);
      } else {
        const { serveStdio } = await import("./transport/stdio.js");
        await serveStdio(runtime);
      }
      return undefined; // keeps running until the transport closes
    }
    case "api": {
      const { runApiCommand } = await import("./rest/command.js");
      await runApiCommand(config, logger);
      return undefined;
    }
    case "approvals": {
      const [{ runApprovalsCommand }, { localExecutorFor }] = await Promise.all([import("./guard/cli-approvals.js"), import("./local-executor.js")]);
      return runApprovalsCommand(config, config.args, io, { openLocalExecutor: localExecutorFor(config, logger) });
    }
    case "operators": {
      const { runOperatorsCommand } = await import("./guard/cli-operators.js");
      return runOperatorsCommand(config, config.args, io);
    }
    case "db": {
      const { runDbInitCommand } = await import("./db-init-command.js");
      return runDbInitCommand(config, io);
    }
    case "audit": {
      const { runAuditCommand } = await import("./guard/cli-audit.js");
      return runAuditCommand(config, config.args, io);
    }
  }
}

async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`retivo-mcp: ${(error as Error).message}\n`);
    process.exit(2);
  }
  try {
    const code = await run(config);
    if (code !== undefined) process.exitCode = code;
  } catch (error) {
    // A store the operator must fix (read-only, full, damaged) is one line naming the file, never a stack.
    const known = storeFaultOf(error, config) ?? error;
    const message = known instanceof RetivoError ? known.message : String((known as Error)?.stack ?? known);
    process.stderr.write(`retivo-mcp: ${message}\n`);
    process.exit(known instanceof ConfigError ? 2 : 1);
  }
}

void main();
