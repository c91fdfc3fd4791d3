/**
 * MCP logging: what the server tells the connected client through
 * `notifications/message`, filtered by the level the client set with
 * `logging/setLevel` (the SDK drops messages below it). The server log on
 * stderr stays the full record; this is the short operator-facing view, so it
 * carries codes and messages, never stacks or secrets.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { LoggingLevel } from "@modelcontextprotocol/sdk/types.js";
import { ApprovalRefusedError, AuthError, ConflictError, ReadOnlyError, RetivoError } from "../errors.js";

export const CLIENT_LOGGER = "retivo-mcp";

/**
 * How loud a failed tool call is for the operator: refusals the agent simply
 * corrects (bad input, unknown id, wrong status) are `info`; a refused human
 * approval, a lost race or a read-only refusal is `warning`; a bad key or a
 * bug is `error`.
 */
export function levelOfToolError(error: unknown): LoggingLevel {
  if (!(error instanceof RetivoError)) return "error";
  if (error instanceof AuthError) return "error";
  if (error instanceof ApprovalRefusedError || error instanceof ConflictError || error instanceof ReadOnlyError) return "warning";
  if (error.code === "upstream_error" || error.code === "rate_limited") return "warning";
  return "info";
}

export function logToolErrorToClient(server: McpServer, tool: string, error: unknown, sessionId?: string): void {
  const known = error instanceof RetivoError;
  const data = {
    tool,
    code: known ? error.code : "internal_error",
    message: known ? error.message : `${tool} failed unexpectedly; details are in the server log.`,
  };
  sendToClient(server, levelOfToolError(error), data, sessionId);
}

/** Fire and forget: a client that went away must not fail the call that logged. */
export function sendToClient(server: McpServer, level: LoggingLevel, data: unknown, sessionId?: string): void {
  if (!server.isConnected()) return;
  server.sendLoggingMessage({ level, logger: CLIENT_LOGGER, data }, sessionId).catch(() => {});
}
