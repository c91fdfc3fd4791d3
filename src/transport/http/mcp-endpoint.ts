/**
 * `/mcp`: routes each Streamable HTTP request to its session's SDK transport.
 * POST without a session may only initialize (and only while there is room);
 * GET (the server-to-client stream) and DELETE need a known session. Bodies
 * are read and validated here, so malformed input never reaches a session.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isInitializeRequest, isJSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../log.js";
import { readJsonRpcBody } from "./body.js";
import { attachCaller, type Caller } from "./caller.js";
import { JsonRpcCode, sendJsonRpcError } from "./responses.js";
import type { Session, SessionRegistry } from "./sessions.js";

export interface McpEndpointDeps {
  registry: SessionRegistry;
  logger: Logger;
  maxBodyBytes: number;
  maxSessions: number;
  /** True once shutdown began: no new sessions or requests, answers to calls in flight still accepted. */
  isDraining: () => boolean;
  /** Who sent the request (after the bearer check): its principal and credential. */
  callerOf: (req: IncomingMessage) => Caller;
}

const SHUTTING_DOWN = "Service Unavailable: the server is shutting down; reconnect in a moment.";
const NO_SESSION = "Session not found: it ended or expired; initialize a new session.";

function sessionIdOf(req: IncomingMessage): string | undefined {
  const value = req.headers["mcp-session-id"];
  return Array.isArray(value) ? value[0] : value;
}

function isJsonContentType(value: string | undefined): boolean {
  return (value ?? "").split(";")[0]?.trim().toLowerCase() === "application/json";
}

export function mcpEndpoint(deps: McpEndpointDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { registry, logger } = deps;

  /**
   * The caller's session, or undefined (answered 404 like an unknown id) when
   * it does not exist or was opened with another credential: a session id
   * seen elsewhere is no key to someone else's session.
   */
  function sessionFor(sessionId: string, caller: Caller): Session | undefined {
    const session = registry.get(sessionId);
    return session && session.credential === caller.credential ? session : undefined;
  }

  async function delegate(session: Session, req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void> {
    try {
      await session.transport.handleRequest(req, res, body);
    } catch (error) {
      logger.error({ err: error }, "MCP transport failed on a request");
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, "Internal error while handling the MCP request.");
      else res.end();
    }
  }

  async function post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isJsonContentType(req.headers["content-type"])) {
      sendJsonRpcError(res, 415, JsonRpcCode.ServerError, "Unsupported Media Type: Content-Type must be application/json.");
      return;
    }
    const body = await readJsonRpcBody(req, deps.maxBodyBytes);
    if (!body.ok) {
      sendJsonRpcError(res, body.status, body.code, body.message, {
        id: body.id ?? null,
        headers: body.closeConnection ? { connection: "close" } : {},
      });
      return;
    }
    const hasRequests = body.messages.some(isJSONRPCRequest);
    // Responses (an elicitation answer) still flow while draining: a call in flight may be waiting for one.
    if (deps.isDraining() && hasRequests) {
      sendJsonRpcError(res, 503, JsonRpcCode.ServerError, SHUTTING_DOWN, { headers: { "retry-after": "5" } });
      return;
    }
    const sessionId = sessionIdOf(req);
    const caller = deps.callerOf(req);
    attachCaller(req, caller);
    if (sessionId !== undefined) {
      const session = sessionFor(sessionId, caller);
      if (!session) {
        sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, NO_SESSION);
        return;
      }
      registry.track(session, res, true);
      await delegate(session, req, res, body.parsed);
      return;
    }
    if (!body.messages.some(isInitializeRequest)) {
      sendJsonRpcError(res, 400, JsonRpcCode.ServerError, "Bad Request: Mcp-Session-Id header is required; send initialize first to open a session.");
      return;
    }
    const session = await registry.open(caller.credential);
    if (!session) {
      logger.warn({ maxSessions: deps.maxSessions }, "refused a new MCP session: session limit reached");
      sendJsonRpcError(
        res,
        503,
        JsonRpcCode.ServerError,
        `Service Unavailable: too many open sessions (limit ${deps.maxSessions}); close an unused client or retry later.`,
        { headers: { "retry-after": "30" } },
      );
      return;
    }
    registry.track(session, res, true);
    await delegate(session, req, res, body.parsed);
    await registry.settleInitialization(session);
  }

  async function withSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sessionId = sessionIdOf(req);
    if (sessionId === undefined) {
      sendJsonRpcError(res, 400, JsonRpcCode.ServerError, "Bad Request: Mcp-Session-Id header is required.");
      return;
    }
    const caller = deps.callerOf(req);
    attachCaller(req, caller);
    const session = sessionFor(sessionId, caller);
    if (!session) {
      sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, NO_SESSION);
      return;
    }
    // The GET stream lives as long as the client; it must not keep the session from idling out or block a drain.
    registry.track(session, res, false);
    await delegate(session, req, res);
  }

  return async (req, res) => {
    switch (req.method) {
      case "POST":
        return post(req, res);
      case "GET":
      case "DELETE":
        return withSession(req, res);
      default:
        sendJsonRpcError(res, 405, JsonRpcCode.ServerError, "Method Not Allowed: use POST, GET or DELETE.", {
          headers: { allow: "GET, POST, DELETE" },
        });
    }
  };
}
