/**
 * The `tools/list` answer, computed once per tool set and reused by every
 * session: converting zod to JSON Schema on each listing would be wasted work
 * on a hot path. It also leaves out what costs a model tokens and tells it
 * nothing (`$schema` on every schema, the default `execution` block, the
 * title repeated inside annotations).
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListToolsRequestSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolDefinition } from "../tools/define.js";

const cache = new Map<string, Tool[]>();

function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Tool["inputSchema"] {
  const { $schema: _unused, ...rest } = z.toJSONSchema(schema, { target: "draft-7", io }) as Record<string, unknown>;
  return withoutDefaults(rest) as Tool["inputSchema"];
}

/**
 * Drops keywords that restate JSON Schema's defaults: `additionalProperties: {}`
 * (anything is allowed anyway) and `propertyNames: {type: "string"}` (JSON keys
 * are strings). The meaning is unchanged; the listing gets shorter.
 */
function withoutDefaults(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDefaults);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "additionalProperties" && isEmptyObject(value)) continue;
    if (key === "propertyNames" && JSON.stringify(value) === '{"type":"string"}') continue;
    out[key] = withoutDefaults(value);
  }
  return out;
}

function isEmptyObject(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0;
}

export function toolList(tools: readonly ToolDefinition[]): Tool[] {
  const key = tools.map((t) => t.name).join(",");
  let listed = cache.get(key);
  if (!listed) {
    listed = tools.map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: jsonSchemaOf(tool.inputSchema, "input"),
      outputSchema: jsonSchemaOf(tool.outputSchema, "output"),
      annotations: tool.annotations,
    }));
    cache.set(key, listed);
  }
  return listed;
}

/** Replaces the SDK's per-request listing with the cached one. Call after registering the tools. */
export function publishToolList(server: McpServer, tools: readonly ToolDefinition[]): void {
  // Computed on the first listing, not at start: initialize should not wait for it.
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolList(tools) }));
}
