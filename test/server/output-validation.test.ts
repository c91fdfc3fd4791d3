/**
 * Every tool result is checked against the tool's output schema before it
 * leaves (mcp/output-validation.ts): the real results of the read tools pass,
 * a result that breaks the schema reaches the client as an error naming the
 * field, whether it came from the store's cache or not (a write's says the
 * change may have been made), and a result is checked again unless nothing
 * can change it, while one that nothing can change is parsed once per tool.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { invalidOutputResult } from "../../src/mcp/result.js";
import { silentLogger } from "../../src/log.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { outputCheck } from "../../src/mcp/output-validation.js";
import { TOOLS } from "../../src/tools/index.js";
import { seededId, startHarness, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const schemaOf = (name: string) => TOOLS.find((tool) => tool.name === name)!.outputSchema;
const textOf = (result: CallToolResult) => (result.content as { text: string }[]).map((c) => c.text).join("\n");

describe("output validation", () => {
  it("passes the real results of the read tools, asked twice (the second from the store's cache)", async () => {
    const id = seededId(h.runtime, "planned");
    for (const [tool, args] of [
      ["list_interventions", {}],
      ["list_interventions", { detail: "full", limit: 3 }],
      ["get_intervention", { intervention_id: id }],
      ["get_intervention", { intervention_id: id }],
    ] as const) {
      const result = await h.call(tool, args);
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(outputCheck(schemaOf(tool))(result.structuredContent)).toBeUndefined();
    }
  });

  it("parses a cached intervention's result once: asked again, the same frozen result passes unparsed", async () => {
    const id = seededId(h.runtime, "planned");
    await h.ok("get_intervention", { intervention_id: id });
    const parse = vi.spyOn(schemaOf("get_intervention"), "safeParse");
    try {
      const [a, b] = [await h.ok<{ intervention: object }>("get_intervention", { intervention_id: id }), await h.ok<{ intervention: object }>("get_intervention", { intervention_id: id })];
      expect(b.intervention).toBe(a.intervention);
      expect(Object.isFrozen(a.intervention)).toBe(true);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it("answers a stored intervention that breaks the schema with an error naming the field, never with the broken result", async () => {
    const id = seededId(h.runtime, "delivered");
    expect((await h.call("get_intervention", { intervention_id: id })).isError).toBeFalsy();
    // Written beneath the port, as a bug or a hand edit could: SQLite keeps a text in a REAL column.
    dbOf(h.runtime.store).prepare("UPDATE interventions SET confidence = 'high' WHERE id = ?").run(id);
    for (let i = 0; i < 2; i++) {
      const result = await h.call("get_intervention", { intervention_id: id });
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toBeUndefined();
      expect(textOf(result)).toMatch(/^Output validation error: Invalid structured content for tool get_intervention: .*expected number.* at intervention\.confidence\. This is a fault in the server, not in the call: report it to the operator/s);
    }
  });

  it("checks a result again unless it is frozen all the way down", async () => {
    const check = outputCheck(schemaOf("get_intervention"));
    const served = await h.ok<{ intervention: Record<string, unknown> }>("get_intervention", { intervention_id: seededId(h.runtime, "planned") });
    const intervention = structuredClone(served.intervention);
    for (const result of [{ intervention }, Object.freeze({ intervention })]) {
      intervention.confidence = 0.5;
      expect(check(result)).toBeUndefined();
      intervention.confidence = "high";
      expect(check(result)).toMatch(/at intervention\.confidence$/);
    }
    expect(check(null)).toBeDefined();
    expect(check([])).toBeDefined();
  });

  it("parses a result nothing can change once per tool, and anything else every time", () => {
    const schema = z.object({ rows: z.array(z.object({ id: z.string() })) });
    const parse = vi.spyOn(schema, "safeParse");
    const check = outputCheck(schema);
    const frozen = Object.freeze({ rows: Object.freeze([Object.freeze({ id: "a" })]) });
    expect([check(frozen), check(frozen), check(frozen)]).toEqual([undefined, undefined, undefined]);
    expect(parse).toHaveBeenCalledTimes(1);
    // Another tool's check parses it anew, and refuses what its own schema refuses.
    expect(outputCheck(z.object({ rows: z.array(z.object({ id: z.number() })) }))(frozen)).toMatch(/ at rows\[0\]\.id$/);
    const changeable = [
      Object.freeze({ rows: [Object.freeze({ id: "a" })] }),
      Object.freeze({ get rows() { return [{ id: "a" }]; } }),
      Object.freeze(Object.assign(Object.create({ extra: [] }), { rows: Object.freeze([]) })),
      Object.freeze({ rows: Object.freeze([]), seen: Object.freeze(new Map()) }),
    ];
    for (const value of changeable) {
      parse.mockClear();
      check(value);
      check(value);
      expect(parse, JSON.stringify(value)).toHaveBeenCalledTimes(2);
    }
  });

  it("tells the agent a write may have happened when its result breaks the schema, and never answers with an empty reason", () => {
    const write = invalidOutputResult({ name: "pause_intervention", writes: true }, "Invalid input at intervention.status", silentLogger());
    expect(write.isError).toBe(true);
    expect(textOf(write)).toBe(
      "Output validation error: Invalid structured content for tool pause_intervention: Invalid input at intervention.status. " +
        "The change may have been made all the same: read the intervention back with get_intervention before calling again, and report this to the operator.",
    );
    const silent = z.object({}).refine(() => false, { message: "" });
    expect(outputCheck(silent)({})).toBe("invalid at the result");
  });
});
