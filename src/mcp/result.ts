/**
 * The one boundary where handler outcomes become MCP results: structured
 * content with a short text, or `isError` with a message that says what to do
 * next. Unexpected errors are logged with their stack and reported without it;
 * a store the operator must fix is logged as one line and reported as such.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describeError, RetivoError, StoreUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ToolDefinition, ToolOutput } from "../tools/define.js";

export function successResult(output: ToolOutput<Record<string, unknown>>): CallToolResult {
  return { content: [{ type: "text", text: output.text }], structuredContent: output.structured };
}

/**
 * A result that breaks its tool's output schema: a fault of ours, never the
 * caller's, logged for the operator. A write may have happened all the same,
 * so the agent is told to look before calling again.
 */
export function invalidOutputResult(tool: Pick<ToolDefinition, "name" | "writes">, problems: string, logger: Logger): CallToolResult {
  logger.error({ tool: tool.name, problems }, "tool result breaks its output schema");
  const next = tool.writes
    ? "The change may have been made all the same: read the intervention back with get_intervention before calling again, and report this to the operator."
    : "This is a fault in the server, not in the call: report it to the operator (details are in the server log).";
  return { isError: true, content: [{ type: "text", text: `Output validation error: Invalid structured content for tool ${tool.name}: ${problems}. ${next}` }] };
}

export function errorResult(toolName: string, error: unknown, logger: Logger): CallToolResult {
  if (error instanceof StoreUnavailableError) {
    // The operator's line: the file and the cause, no stack (nothing in the code is wrong).
    logger.error({ tool: toolName, code: error.code, file: error.file }, error.message);
    return { isError: true, content: [{ type: "text", text: describeError(error) }] };
  }
  if (error instanceof RetivoError) {
    logger.info({ tool: toolName, code: error.code }, "tool refused");
    return { isError: true, content: [{ type: "text", text: describeError(error) }] };
  }
  logger.error({ tool: toolName, err: error }, "tool failed unexpectedly");
  return {
    isError: true,
    content: [
      {
        type: "text",
        text: `${toolName} failed unexpectedly and changed nothing. Retry once; if it fails again, report it to the operator (details are in the server log).`,
      },
    ],
  };
}
