/**
 * The tool list is typed without casts: every concrete tool is assignable to
 * the erased AnyTool and handlers are checked strictly (not bivariantly);
 * the type-level parts are checked by `tsc` (tsconfig includes test). `any`
 * is lint's to refuse (typescript-eslint's no-explicit-any). The audit actor
 * is the client's name, capped.
 */
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { actorOf } from "../../src/tools/actor.js";
import { defineTool, type AnyTool, type TypedTool } from "../../src/tools/define.js";
import { TOOLS } from "../../src/tools/index.js";
import { approveIntervention } from "../../src/tools/approve-intervention.js";
import { listInterventions } from "../../src/tools/list-interventions.js";

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
  it("lists every tool as an AnyTool", () => {
    expect(TOOLS.length).toBeGreaterThanOrEqual(someTools.length);
    expect(erased.name).toBe("get_intervention");
  });

  it("names the client as the actor", () => {
    expect(actorOf({ server: { server: { getClientVersion: () => ({ name: "claude-code", version: "1" }) } } })).toBe("agent:claude-code");
    // A client name is the client's to choose: capped before it reaches the audit log.
    const long = actorOf({ server: { server: { getClientVersion: () => ({ name: "x".repeat(50_000), version: "1" }) } } });
    expect(long.length).toBeLessThanOrEqual("agent:".length + 100);
    expect(actorOf({ server: { server: { getClientVersion: () => undefined } } })).toBe("agent:unknown");
  });
});
