/**
 * buildServer: one McpServer with the tools this configuration allows. It
 * never knows which backend it holds. Each tool's handler runs inside one
 * error boundary (mcp/result.ts), whose failures also reach the client as
 * MCP log messages at the level the client asked for. Resources and prompts
 * register themselves (resources/, prompts/).
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { storeFaultOf } from "../store/index.js";
import type { Config } from "../config.js";
import { TOOLS } from "../tools/index.js";
import type { ToolDefinition, ToolDeps } from "../tools/define.js";
import { ANY_ARGUMENTS, parseArguments } from "../tools/arguments.js";
import { DroppedArgumentKeys } from "./dropped-keys.js";
import { guardSessionFor } from "../tools/guard-session.js";
import { outputCheck } from "./output-validation.js";
import { publishToolList } from "./publish.js";
import { errorResult, invalidOutputResult, successResult } from "./result.js";
import { callDeadline } from "../tools/deadline.js";
import { finishProgress } from "../tools/writer-context.js";
import { instructionsFor } from "./instructions.js";
import { logToolErrorToClient } from "./client-log.js";
import { registerPrompts } from "./prompts/index.js";
import { registerResources } from "./resources/index.js";
import { VERSION } from "../version.js";

export type ServerDeps = ToolDeps;

/** The tools this configuration exposes: the allow-list, minus writers in read-only mode. */
export function enabledTools(config: Readonly<Config>): ToolDefinition[] {
  return TOOLS.filter((tool) => (config.tools ? config.tools.includes(tool.name) : true) && !(config.readOnly && tool.writes));
}

export function buildServer(deps: ServerDeps): McpServer {
  const tools = enabledTools(deps.config);
  const server = new McpServer(
    { name: "retivo-mcp", title: "Retivo interventions", version: VERSION },
    {
      capabilities: { tools: {}, logging: {} },
      instructions: instructionsFor(deps.config, deps.backend.mode, tools, deps.backend.catalog !== undefined),
    },
  );
  // Seen on the raw message, before the SDK's copy of `arguments` loses them.
  const dropped = new DroppedArgumentKeys();
  const connect = server.connect.bind(server);
  server.connect = (transport) => {
    dropped.watch(transport);
    return connect(transport);
  };
  for (const tool of tools) {
    const problemsOf = outputCheck(tool.outputSchema);
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        // Validation happens in the handler (tools/arguments.ts) so that refusals can be audited.
        inputSchema: ANY_ARGUMENTS,
        // No outputSchema for the SDK to check against: the handler checks each result (output-validation.ts).
        annotations: tool.annotations,
      },
      async (args: unknown, extra) => {
        const deadline = callDeadline(extra.signal, deps.config.callTimeoutMs);
        const call = {
          deps,
          server,
          extra,
          get signal() {
            return deadline.signal;
          },
        };
        try {
          const parsed = parseArguments(tool, args, dropped.take(extra.requestId));
          if (!parsed.ok) {
            if (tool.guarded) deps.guard.recordRefusedArguments(tool.name, args, parsed.unknownKeys, guardSessionFor(call));
            throw parsed.error;
          }
          const output = await tool.handler(parsed.value as never, call);
          const problems = problemsOf(output.structured);
          if (problems !== undefined) {
            finishProgress(extra, `${tool.name} failed`);
            logToolErrorToClient(server, tool.name, new Error(`its result breaks the tool's output schema: ${problems}`), extra.sessionId);
            return invalidOutputResult(tool, problems, deps.logger);
          }
          finishProgress(extra, `${tool.name} done`);
          return successResult(output as never);
        } catch (error) {
          finishProgress(extra, `${tool.name} failed`);
          logToolErrorToClient(server, tool.name, error, extra.sessionId);
          return errorResult(tool.name, storeFaultOf(error, deps.config) ?? error, deps.logger);
        } finally {
          deadline.dispose();
        }
      },
    );
  }
  publishToolList(server, tools);
  registerResources(server, deps);
  registerPrompts(server, deps, tools.map((tool) => tool.name));
  return server;
}
