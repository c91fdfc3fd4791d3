/**
 * Every tool result is checked against the tool's output schema before it
 * leaves, as the SDK would check it, but here rather than in the SDK, for two
 * reasons measured on get and list: the SDK parses with zod's asynchronous
 * parse, which in zod 4 costs several times the synchronous one though no
 * output schema of ours has an asynchronous step (a default list page: 24 µs
 * against 3.5 µs), and it cannot know that a result is one it has already
 * checked. The SQLite engine's read cache hands out the same deep-frozen result
 * until the store changes (store/sqlite/read-cache.ts); a frozen result that
 * passed once cannot have changed, so it is checked the first time only.
 * Anything not frozen (the remote API's answers, every write's result) is
 * checked each time. tools/list publishes the tool's own schema (publish.ts).
 */
import type { z } from "zod";

/** The problems of a result its schema refuses, one per issue, worded as the SDK words them. */
export type OutputCheck = (structured: unknown) => string | undefined;

export function outputCheck(schema: z.ZodObject): OutputCheck {
  const passed = new WeakSet<object>();
  return (structured) => {
    if (typeof structured === "object" && structured !== null && passed.has(structured)) return undefined;
    const result = schema.safeParse(structured);
    if (!result.success) return result.error.issues.map((issue) => (issue.path.length ? `${issue.message} at ${issue.path.join(".")}` : issue.message)).join("\n");
    if (deeplyFrozen(structured)) passed.add(structured as object);
    return undefined;
  };
}

/** Frozen all the way down: what nobody can change after it was checked. */
function deeplyFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(deeplyFrozen);
}
