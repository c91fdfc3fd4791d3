/**
 * pino to stderr (fd 2), never stdout: in stdio mode stdout belongs to JSON-RPC.
 * JSON for pipes and files; readable lines when a person watches a terminal.
 * Secrets are redacted by path wherever they could appear in a logged object.
 */
import { pino, type Logger } from "pino";
import { prettyDestination } from "./log-pretty.js";

export type { Logger };

export const REDACT_PATHS = [
  "apiKey",
  "*.apiKey",
  "*.*.apiKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "token",
  "*.token",
  "passphrase",
  "*.passphrase",
  "openaiApiKey",
  "*.openaiApiKey",
  "*.*.openaiApiKey",
  "secret",
  "*.secret",
  "webhook_secret",
  "*.webhook_secret",
];

/**
 * `pretty`: readable lines for a person at a terminal (log-pretty.ts) instead
 * of JSON; only ever for a file descriptor, and the caller decides (a TTY).
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2, options: { pretty?: boolean } = {}): Logger {
  const stream =
    typeof destination !== "number"
      ? destination
      : options.pretty
        ? prettyDestination(destination)
        : pino.destination({ fd: destination, sync: true });
  return pino(
    {
      name: "retivo-mcp",
      level,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: { pid: process.pid },
    },
    stream,
  );
}

/** A logger that drops everything: for tests and one-shot CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
