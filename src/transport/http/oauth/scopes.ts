/**
 * Which scopes a JSON-RPC message needs, decided at the HTTP layer so that a
 * missing one is an HTTP 403 with a step-up challenge (the MCP authorization
 * spec's scope challenge), which clients act on, rather than a tool error they
 * would show the model. A tools/call names its tool in the body: tools that
 * change something (`writes`, the same flag read-only mode uses) need
 * interventions:write, the rest interventions:read. Listing, resources,
 * prompts and completions read. The handshake, pings, log level,
 * notifications and answers to the server's own requests (elicitation) need
 * no scope: a token for this resource is enough.
 */
import { isJSONRPCRequest, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { TOOLS } from "../../../tools/index.js";

export const READ_SCOPE = "interventions:read";
export const WRITE_SCOPE = "interventions:write";
export const SUPPORTED_SCOPES = [READ_SCOPE, WRITE_SCOPE] as const;

const NO_SCOPE_METHODS = new Set(["initialize", "ping", "logging/setLevel"]);
const WRITING_TOOLS = new Set(TOOLS.filter((tool) => tool.writes).map((tool) => tool.name as string));

function scopeOf(message: JSONRPCMessage): string | undefined {
  if (!isJSONRPCRequest(message) || NO_SCOPE_METHODS.has(message.method)) return undefined;
  if (message.method === "tools/call") {
    const name = (message.params as { name?: unknown } | undefined)?.name;
    // An unknown name reaches no tool (the server answers that it does not exist): reading is enough to be told so.
    return typeof name === "string" && WRITING_TOOLS.has(name) ? WRITE_SCOPE : READ_SCOPE;
  }
  return READ_SCOPE;
}

/** The scopes a POST's messages need, in SUPPORTED_SCOPES order. */
export function requiredScopesOf(messages: readonly JSONRPCMessage[]): string[] {
  const needed = new Set(messages.map(scopeOf));
  return SUPPORTED_SCOPES.filter((scope) => needed.has(scope));
}
