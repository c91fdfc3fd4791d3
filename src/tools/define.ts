/**
 * What a tool is: its public surface (name, title, description, schemas,
 * annotations) and a handler that returns structured content plus a short
 * text. `mcp/server.ts` registers them; `mcp/result.ts` is the one error boundary.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { InterventionsBackend } from "../backend/types.js";
import type { Config, ToolName } from "../config.js";
import type { ApprovalGuard } from "../guard/types.js";
import type { Logger } from "../log.js";
import type { AuditRow } from "../store/port.js";
import type { Writer } from "../writer/types.js";

export interface ToolDeps {
  backend: InterventionsBackend;
  guard: ApprovalGuard;
  writer: Writer;
  logger: Logger;
  config: Readonly<Config>;
  /**
   * One intervention's audit trail, from the process's own log (both modes):
   * for the intervention resource. Absent in servers built without a runtime.
   */
  auditTrail?: (interventionId: string) => Promise<AuditRow[]>;
}

export type RequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ToolCall {
  deps: ToolDeps;
  /** The MCP server of this session: elicitation, sampling and client facts. */
  server: McpServer;
  extra: RequestExtra;
  /**
   * The call's deadline and the client's cancellation (tools/deadline.ts): pass it to every backend call.
   * Made when first read; a read tool passes `lazySignal(call)`, so the local store never makes it.
   */
  readonly signal: AbortSignal;
}

export interface ToolOutput<Out> {
  structured: Out;
  /** One or a few lines for clients that show only text. */
  text: string;
}

/** What every tool has besides its handler. */
interface ToolSurface {
  name: ToolName;
  title: string;
  description: string;
  /** Strict: unknown arguments are refused, so nothing like `confirm: true` slips through. */
  inputSchema: z.ZodObject;
  outputSchema: z.ZodObject;
  annotations: ToolAnnotations;
  /** Changes state: hidden in read-only mode. */
  writes: boolean;
  /** Needs a human's approval (approve, rollback): refused arguments are audited as attempts. */
  guarded?: boolean;
}

/**
 * One tool with its argument and result types: what a tool file writes, and
 * what `defineTool` checks. `handler` is a property, not a method, so its
 * parameter is checked strictly rather than bivariantly.
 */
export interface TypedTool<In extends z.ZodObject, Out extends z.ZodObject> extends ToolSurface {
  inputSchema: In;
  outputSchema: Out;
  handler: (args: z.infer<In>, call: ToolCall) => Promise<ToolOutput<z.infer<Out>>>;
}

/**
 * Any tool, its argument types erased: what lists of tools hold. Every
 * TypedTool is assignable to it (a handler that takes some arguments is one
 * that takes `never`); calling `handler` needs arguments its own
 * `inputSchema` parsed (tools/arguments.ts), passed `as never`.
 */
export interface AnyTool extends ToolSurface {
  handler: (args: never, call: ToolCall) => Promise<ToolOutput<Record<string, unknown>>>;
}

/** A tool in a list (server.ts, publish.ts, instructions.ts): see AnyTool. */
export type ToolDefinition = AnyTool;

export function defineTool<In extends z.ZodObject, Out extends z.ZodObject>(definition: TypedTool<In, Out>): TypedTool<In, Out> {
  return definition;
}
