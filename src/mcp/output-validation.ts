/**
 * Every tool result is checked against the tool's output schema before it
 * leaves, as the SDK would check it, but here rather than in the SDK, for two
 * reasons measured on get and list: the SDK parses with zod's asynchronous
 * parse, which in zod 4 costs several times the synchronous one though no
 * output schema of ours has an asynchronous step (a default list page: 24 µs
 * against 3.5 µs), and it cannot know that a result is one it has already
 * checked. The SQLite engine's read cache hands out the same deep-frozen result
 * until the store changes (store/sqlite/read-cache.ts); a result that passed
 * once and that nothing can change is checked the first time only. Anything
 * else (the remote API's answers, every write's result) is checked each time.
 * tools/list publishes the tool's own schema (publish.ts).
 */
import type { z } from "zod";

/** What is wrong with a result its tool's schema refuses, one line per issue; undefined when it passes. */
export type OutputCheck = (structured: unknown) => string | undefined;

export function outputCheck(schema: z.ZodObject): OutputCheck {
  const passed = new WeakSet<object>();
  return (structured) => {
    if (typeof structured === "object" && structured !== null && passed.has(structured)) return undefined;
    const result = schema.safeParse(structured);
    if (!result.success) return result.error.issues.map((issue) => `${issue.message || "invalid"} at ${pathOf(issue.path)}`).join("\n");
    if (unchangeable(structured)) passed.add(structured as object);
    return undefined;
  };
}

/** `interventions[0].id`, as the SDK writes a path; `the result` for the whole of it. */
function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "the result";
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join("");
}

const PLAIN = new Set<unknown>([Object.prototype, Array.prototype, null]);

/**
 * Nothing can change it or what it holds: frozen all the way down, plain
 * objects and arrays only (no prototype of their own, no getter, no Map or
 * Date with state of its own), as the read cache's rows are.
 */
function unchangeable(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (!Object.isFrozen(value) || !PLAIN.has(Object.getPrototypeOf(value))) return false;
  return Object.values(Object.getOwnPropertyDescriptors(value)).every((property) => "value" in property && unchangeable(property.value));
}
