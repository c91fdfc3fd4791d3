/**
 * pino to stderr (fd 2), never stdout: in stdio mode stdout belongs to JSON-RPC.
 * Secrets are redacted by path wherever they could appear in a logged object.
 */
import { pino, type Logger } from "pino";

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

export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2): Logger {
  const stream = typeof destination === "number" ? pino.destination({ fd: destination, sync: true }) : destination;
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
