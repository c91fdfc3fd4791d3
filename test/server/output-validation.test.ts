/**
 * Tool results are still checked against each tool's output schema by the
 * SDK, through the synchronous stand-in it is handed (mcp/output-validation.ts):
 * the same results pass and fail as under the schema itself, a result that
 * breaks it reaches the client as an error naming the field, and the real
 * results of every read tool pass.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { checkedSynchronously } from "../../src/mcp/output-validation.js";
import { TOOLS } from "../../src/tools/index.js";
import { seededId, startHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const schemaOf = (name: string) => TOOLS.find((tool) => tool.name === name)!.outputSchema;

/** A bare McpServer with one tool answering `structured`, its output schema handed over as buildServer does. */
async function answering(schema: z.ZodObject, structured: Record<string, unknown>): Promise<CallToolResult> {
  const server = new McpServer({ name: "t", version: "1" }, { capabilities: { tools: {} } });
  server.registerTool("t", { description: "t", outputSchema: checkedSynchronously(schema) }, async () => ({
    content: [{ type: "text", text: "t" }],
    structuredContent: structured,
  }));
  const client = new Client({ name: "c", version: "1" });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  try {
    return (await client.callTool({ name: "t", arguments: {} })) as CallToolResult;
  } finally {
    await client.close();
  }
}

const textOf = (result: CallToolResult) => (result.content as { text: string }[]).map((c) => c.text).join("\n");

describe("output validation", () => {
  it("passes the real results of the read tools", async () => {
    const id = seededId(h.runtime, "planned");
    for (const [tool, args] of [
      ["list_interventions", {}],
      ["list_interventions", { detail: "full", limit: 3 }],
      ["get_intervention", { intervention_id: id }],
    ] as const) {
      const result = await h.call(tool, args);
      expect(result.isError, textOf(result)).toBeFalsy();
      expect((await answering(schemaOf(tool), result.structuredContent!)).isError).toBeFalsy();
    }
  });

  it("turns a result that breaks the tool's schema into an error naming the field", async () => {
    const { intervention } = (await h.ok<{ intervention: Record<string, unknown> }>("get_intervention", { intervention_id: seededId(h.runtime, "planned") }));
    const result = await answering(schemaOf("get_intervention"), { intervention: { ...intervention, confidence: "high" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Output validation error/);
    expect(textOf(result)).toMatch(/intervention.*confidence|confidence.*expected number/s);
  });

  it("fails exactly what each tool's own schema fails, with the same paths and messages", async () => {
    const page = await h.ok<Record<string, unknown>>("list_interventions", { limit: 2 });
    const values: unknown[] = [
      {},
      [],
      null,
      page,
      { ...page, next_cursor: 5 },
      { ...page, interventions: [{ id: 1 }] },
      { intervention: { id: "int_x" } },
    ];
    for (const tool of TOOLS) {
      const stand = checkedSynchronously(tool.outputSchema);
      for (const value of values) {
        const own = tool.outputSchema.safeParse(value);
        const checked = await stand.safeParseAsync(value);
        expect(checked.success, `${tool.name} ${JSON.stringify(value)}`).toBe(own.success);
        if (!own.success && !checked.success && typeof value === "object" && value !== null && !Array.isArray(value)) {
          expect(checked.error.issues.map((i) => [i.path, i.message])).toEqual(own.error.issues.map((i) => [i.path, i.message]));
        }
      }
    }
  });
});
