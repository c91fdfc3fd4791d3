/**
 * What agents see is deliberate: the tool surface (names, descriptions,
 * schemas, annotations) is committed as a snapshot, and the safety hints are
 * asserted one by one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { startHarness, type Harness } from "../support/harness.js";

let h: Harness;
let tools: Tool[];

beforeAll(async () => {
  h = await startHarness();
  tools = (await h.client.listTools()).tools;
});
afterAll(async () => h.close());

const byName = (name: string) => tools.find((t) => t.name === name)!;

describe("tool surface", () => {
  it("matches the committed snapshot", async () => {
    await expect(JSON.stringify(tools, null, 2) + "\n").toMatchFileSnapshot("./__snapshots__/tool-surface.json");
  });

  it("publishes every operation of the API plus get_intervention", () => {
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        "approve_intervention",
        "create_intervention",
        "dry_run_intervention",
        "flag_intervention",
        "get_intervention",
        "list_interventions",
        "pause_intervention",
        "reject_intervention",
        "rollback_intervention",
      ].sort(),
    );
  });

  it("declares every hint deliberately", () => {
    for (const tool of tools) {
      const a = tool.annotations!;
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.outputSchema, tool.name).toBeTruthy();
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof a[hint], `${tool.name}.${hint}`).toBe("boolean");
      }
    }
    for (const name of ["list_interventions", "get_intervention", "dry_run_intervention"]) {
      expect(byName(name).annotations?.readOnlyHint, name).toBe(true);
    }
    for (const name of ["reject_intervention", "rollback_intervention"]) {
      expect(byName(name).annotations?.destructiveHint, name).toBe(true);
    }
    expect(byName("create_intervention").annotations?.idempotentHint).toBe(false);
    expect(byName("pause_intervention").annotations?.idempotentHint).toBe(true);
  });

  it("gives approve and rollback no argument that could carry an approval", () => {
    for (const name of ["approve_intervention", "rollback_intervention"]) {
      const schema = byName(name).inputSchema as { properties: Record<string, unknown>; additionalProperties?: boolean };
      const allowed = name === "approve_intervention" ? ["intervention_id"] : ["intervention_id", "reason"];
      expect(Object.keys(schema.properties).sort()).toEqual(allowed);
      expect(schema.additionalProperties).toBe(false);
      expect(byName(name).description).toMatch(/human/i);
    }
  });

  it("mirrors the API's field names in output schemas", () => {
    const props = (name: string) => Object.keys((byName(name).outputSchema as { properties: object }).properties).sort();
    expect(props("create_intervention")).toEqual(["channel", "id", "planned_at", "status"]);
    expect(props("pause_intervention")).toEqual(["id", "status"]);
    expect(props("flag_intervention")).toEqual(["flagged", "id"]);
    // preview is our documented extension of the dry-run answer.
    expect(props("dry_run_intervention")).toEqual(["context", "decision", "dry_run", "preview", "rules"]);
  });
});
