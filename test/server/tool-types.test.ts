/**
 * The tool list is typed without casts: every concrete tool is assignable to
 * the erased AnyTool, handlers are checked strictly (not bivariantly), no
 * `any` appears in the tool files, and the audit actor helper has a home of
 * its own. The type-level parts are checked by `tsc` (tsconfig includes test).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { actorOf } from "../../src/tools/actor.js";
import { defineTool, type AnyTool, type TypedTool } from "../../src/tools/define.js";
import { TOOLS } from "../../src/tools/index.js";
import { approveIntervention } from "../../src/tools/approve-intervention.js";
import { listInterventions } from "../../src/tools/list-interventions.js";

const TOOLS_DIR = resolve(import.meta.dirname, "../../src/tools");

// Compile time: concrete tools go into a list of AnyTool as they are.
const someTools: readonly AnyTool[] = [listInterventions, approveIntervention];

const input = z.strictObject({ id: z.string() });
const output = z.object({ ok: z.boolean() });
const surface = {
  name: "get_intervention" as const,
  title: "t",
  description: "d",
  inputSchema: input,
  outputSchema: output,
  annotations: {},
  writes: false,
};
// Compile time: a handler that demands more than its schema gives is refused (it would be accepted bivariantly).
// @ts-expect-error `extra` is not in the input schema
const _tooDemanding: TypedTool<typeof input, typeof output> = { ...surface, handler: async (_args: { id: string; extra: number }) => ({ structured: { ok: true }, text: "" }) };
const typed = defineTool({ ...surface, handler: async ({ id }) => ({ structured: { ok: id.length > 0 }, text: id }) });
const erased: AnyTool = typed;

describe("tool typing", () => {
  it("lists the tools without a cast", () => {
    const index = readFileSync(join(TOOLS_DIR, "index.ts"), "utf8");
    expect(index).not.toMatch(/\bas unknown as\b|\bas never\b|\bas any\b/);
    expect(TOOLS.length).toBeGreaterThanOrEqual(someTools.length);
    expect(erased.name).toBe("get_intervention");
  });

  it("lets no `any` into the tool files", () => {
    for (const file of readdirSync(TOOLS_DIR).filter((f) => f.endsWith(".ts"))) {
      const source = readFileSync(join(TOOLS_DIR, file), "utf8");
      expect(source, file).not.toMatch(/:\s*any\b|<any>|\bas any\b|any\[\]/);
    }
  });

  it("names the client as the actor, from tools/actor.ts", () => {
    expect(actorOf({ server: { server: { getClientVersion: () => ({ name: "claude-code", version: "1" }) } } })).toBe("agent:claude-code");
    // A client name is the client's to choose: capped before it reaches the audit log.
    const long = actorOf({ server: { server: { getClientVersion: () => ({ name: "x".repeat(50_000), version: "1" }) } } });
    expect(long.length).toBeLessThanOrEqual("agent:".length + 100);
    expect(actorOf({ server: { server: { getClientVersion: () => undefined } } })).toBe("agent:unknown");
    expect(readFileSync(join(TOOLS_DIR, "create-intervention.ts"), "utf8")).not.toMatch(/export function actorOf/);
  });
});
