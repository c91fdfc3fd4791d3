/**
 * The one boundary where handler outcomes become MCP results: structured
 * content with a short text, or `isError` with a message that says what to do
 * next. Unexpected errors are logged with their stack and reported without it;
 * a store the operator must fix is logged as one line and reported as such.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describeError, RetivoError, StoreUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ToolOutput } from "../tools/define.js";

export function successResult(output: ToolOutput<Record<string, unknown>>): CallToolResult {
  return { content: [{ type: "text", text: output.text }], structuredContent: output.structured };
}

/** A result that breaks its tool's output schema: a fault of ours, logged, and worded for the client as the SDK words it. */
export function invalidOutputResult(toolName: string, problems: string, logger: Logger): CallToolResult {
  logger.error({ tool: toolName, problems }, "tool result breaks its output schema");
  return { isError: true, content: [{ type: "text", text: `Output validation error: Invalid structured content for tool ${toolName}: ${problems}` }] };
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
