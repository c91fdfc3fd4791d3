/**
 * Every tool result is checked against the tool's output schema before it
 * leaves (mcp/output-validation.ts): the real results of the read tools pass,
 * a result that breaks the schema reaches the client as an error naming the
 * field (and is logged), whether it came from the store's cache or not, and a
 * result is checked again unless it is frozen all the way down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  it("answers a stored intervention that breaks the schema with an error naming the field, never with the broken result", async () => {
    const id = seededId(h.runtime, "delivered");
    expect((await h.call("get_intervention", { intervention_id: id })).isError).toBeFalsy();
    // Written beneath the port, as a bug or a hand edit could: SQLite keeps a text in a REAL column.
    dbOf(h.runtime.store).prepare("UPDATE interventions SET confidence = 'high' WHERE id = ?").run(id);
    for (let i = 0; i < 2; i++) {
      const result = await h.call("get_intervention", { intervention_id: id });
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toBeUndefined();
      expect(textOf(result)).toMatch(/^Output validation error: Invalid structured content for tool get_intervention: .*expected number.* at intervention\.confidence$/s);
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
});
