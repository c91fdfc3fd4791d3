/**
 * Log lines for a person at a terminal: `12:04:05 INFO  message key=value`,
 * written to stderr like the JSON lines they replace (stdout stays JSON-RPC).
 * Used only when stderr is a TTY; pipes and files keep pino's JSON, which
 * tools read. Values can hold text an agent or a model wrote (a tool's
 * arguments, an upstream error), so nothing reaches the terminal raw:
 * control characters, escape sequences and bidi overrides become visible
 * escapes, and every line stays one line.
 */
import { writeSync } from "node:fs";

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
/** pino's own fields, shown by position or not at all. */
const OWN_FIELDS = new Set(["level", "time", "msg", "pid", "hostname", "name", "v"]);
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

export function visible(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function value(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? visible(v) : visible(JSON.stringify(v));
  return visible(JSON.stringify(v) ?? String(v));
}

function clock(time: unknown): string {
  const date = typeof time === "number" ? new Date(time) : new Date();
  return date.toTimeString().slice(0, 8);
}

/** One pino JSON line → one (or, for an error's stack, a few indented) readable lines. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return `${visible(json.trimEnd())}\n`;
  }
  const level = (LEVELS[entry.level as number] ?? String(entry.level)).padEnd(5);
  const fields: string[] = [];
  let stack: string[] = [];
  for (const [key, v] of Object.entries(entry)) {
    if (OWN_FIELDS.has(key)) continue;
    if (key === "err" && v && typeof v === "object") {
      const err = v as { message?: unknown; stack?: unknown };
      fields.push(`err=${value(String(err.message ?? ""))}`);
      if (typeof err.stack === "string") stack = err.stack.split("\n").slice(1).map((line) => `    ${visible(line.trim())}`);
      continue;
    }
    fields.push(`${key}=${value(v)}`);
  }
  const message = visible(String(entry.msg ?? ""));
  return `${[`${clock(entry.time)} ${level} ${message}`, ...fields].join("  ")}\n${stack.map((line) => `${line}\n`).join("")}`;
}

/** A pino destination that writes readable lines to a file descriptor, synchronously like pino's own. */
export function prettyDestination(fd = 2): { write(line: string): boolean } {
  return {
    write(line: string) {
      writeSync(fd, prettyLine(line));
      return true;
    },
  };
}
