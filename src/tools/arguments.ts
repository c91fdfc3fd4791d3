/**
 * Argument validation, done here rather than by the SDK so that refusals can
 * be audited: an agent that sends `confirm: true` or an `approval_id` to a
 * guarded tool is trying to approve on a human's behalf, and the audit log
 * must show it. Messages name each bad field and what it expects.
 */
import { z } from "zod";
import { InvalidInputError } from "../errors.js";
import type { ToolDefinition } from "./define.js";

/** What the SDK sees: anything object-shaped; the real schema is applied by `parseArguments`. */
export const ANY_ARGUMENTS = z.looseObject({});

export interface RefusedArguments {
  error: InvalidInputError;
  /** Argument names the tool does not have (a forged `confirm`, `approved`, `approval_id`…). */
  unknownKeys: string[];
}

/** Errors quote field names the agent chose: bounded, so a hostile call cannot make a huge reply. */
const MAX_ERROR_CHARS = 1000;

function capped(text: string): string {
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS - 1)}…`;
}

/**
 * `droppedKeys`: argument keys the SDK's parsing removed before the handler
 * (dropped-keys.ts); they are refused like any other unknown argument.
 */
export function parseArguments(
  tool: ToolDefinition,
  args: unknown,
  droppedKeys: readonly string[] = [],
): { ok: true; value: unknown } | ({ ok: false } & RefusedArguments) {
  const parsed = tool.inputSchema.safeParse(args ?? {});
  if (parsed.success && droppedKeys.length === 0) return { ok: true, value: parsed.data };
  const issues = parsed.success ? [] : parsed.error.issues;
  const unknownKeys = [...droppedKeys, ...issues.flatMap((issue) => (issue.code === "unrecognized_keys" ? issue.keys : []))];
  const problems = [
    ...(droppedKeys.length ? [`arguments: Unrecognized key${droppedKeys.length > 1 ? "s" : ""}: ${droppedKeys.map((k) => `"${k}"`).join(", ")}`] : []),
    ...issues.map((issue) => {
      const field = issue.path.length ? issue.path.join(".") : "arguments";
      return `${field}: ${issue.message}`;
    }),
  ];
  const hint = unknownKeys.length
    ? `Remove ${unknownKeys.map((k) => `'${k}'`).join(", ")}: ${tool.name} accepts only ${Object.keys(tool.inputSchema.shape).join(", ")}.`
    : "Fix the arguments as described and call again; nothing was changed.";
  return { ok: false, error: new InvalidInputError(`Invalid arguments for ${tool.name}: ${capped(problems.join("; "))}.`, capped(hint)), unknownKeys };
}
