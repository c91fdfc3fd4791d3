/**
 * Calls the generic OpenAPI-to-MCP server the way an agent would: find the
 * tool generated for an operation id of our OpenAPI document and map our
 * tool's arguments onto its input schema (path `id`, query, JSON body).
 */
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { StdioSession } from "./stdio-client.js";

const normalize = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
/** The generic server abbreviates long names (list → lst, create → crt); consonants survive. */
const skeleton = (s: string) => normalize(s).replace(/[aeiou]/g, "");

export interface GenericCaller {
  tools: Tool[];
  call(operation: string, args: Record<string, unknown>): Promise<CallToolResult>;
}

export async function genericCaller(session: StdioSession): Promise<GenericCaller> {
  const { tools } = await session.client.listTools();
  const byOperation = (operation: string): Tool => {
    const wanted = normalize(operation);
    const tool =
      tools.find((t) => normalize(t.name) === wanted) ?? tools.find((t) => skeleton(t.name) === skeleton(operation));
    if (!tool) throw new Error(`generic server has no tool for ${operation}; it has ${tools.map((t) => t.name).join(", ")}`);
    return tool;
  };
  return {
    tools,
    call(operation, args) {
      const tool = byOperation(operation);
      const properties = Object.keys((tool.inputSchema.properties ?? {}) as Record<string, unknown>);
      const { intervention_id, ...rest } = args;
      const mapped: Record<string, unknown> = {};
      if (intervention_id !== undefined) mapped[properties.includes("id") ? "id" : "intervention_id"] = intervention_id;
      const bodyKey = properties.find((p) => ["body", "requestBody"].includes(p));
      if (bodyKey && Object.keys(rest).length > 0) mapped[bodyKey] = rest;
      else Object.assign(mapped, rest);
      return session.call(tool.name, mapped);
    },
  };
}
