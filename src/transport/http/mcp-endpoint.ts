/**
 * `/mcp`: routes each Streamable HTTP request to its session's SDK transport.
 * POST without a session may only initialize (an idle session is evicted to
 * make room at the cap); GET (the server-to-client stream) and DELETE need a
 * known session. Bodies are read and validated here, params included, so
 * malformed input never reaches a session.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isInitializeRequest, isJSONRPCRequest, type JSONRPCErrorResponse, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../log.js";
import { invalidParamsResponse } from "../request-params.js";
import { readJsonRpcBody } from "./body.js";
import { attachCaller, type Caller } from "./caller.js";
import { JsonRpcCode, sendJson, sendJsonRpcError } from "./responses.js";
import { replicaOfSessionId } from "./replica.js";
import type { AccessDenial } from "./security.js";
import type { Session, SessionRegistry } from "./sessions.js";

export interface McpEndpointDeps {
  registry: SessionRegistry;
  logger: Logger;
  maxBodyBytes: number;
  maxSessions: number;
  /** True once shutdown began: no new sessions or requests, answers to calls in flight still accepted. */
  isDraining: () => boolean;
  /** A denial (403, step-up) when the caller may not send these messages: scopes are checked here, per message. */
  authorize: (caller: Caller, messages: readonly JSONRPCMessage[]) => AccessDenial | undefined;
  /** This replica's id, the prefix of the session ids it mints. */
  replicaId: () => string;
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

/**
 * The -32602 answers for a POST whose requests do not fit their methods. In a
 * batch, the other requests are answered too (not processed), so the client
 * gets one answer per request.
 */
function paramRefusals(messages: JSONRPCMessage[]): JSONRPCErrorResponse[] | undefined {
  const requests = messages.filter(isJSONRPCRequest);
  const refusals = requests.map((request) => invalidParamsResponse(request));
  if (refusals.every((refusal) => refusal === undefined)) return undefined;
  return requests.map(
    (request, i) =>
      refusals[i] ?? {
        jsonrpc: "2.0",
        id: request.id,
        error: { code: JsonRpcCode.InvalidRequest, message: "Not processed: another request in this batch has invalid params." },
      },
  );
}

/** Called after the credential was checked: `caller` is who sent the request. */
export function mcpEndpoint(deps: McpEndpointDeps): (req: IncomingMessage, res: ServerResponse, caller: Caller) => Promise<void> {
  const { registry, logger } = deps;

  /**
   * The caller's session, or undefined (answered 404 like an unknown id) when
   * it does not exist or was opened with another credential: a session id
   * seen elsewhere is no key to someone else's session.
   */
  function sessionFor(sessionId: string, caller: Caller): Session | undefined {
    const session = registry.get(sessionId);
    if (!session) {
      const minter = replicaOfSessionId(sessionId);
      // Expected once after a replica died (its clients re-initialise here); all the time, the balancer is not routing by session id.
      if (minter !== undefined && minter !== deps.replicaId()) logger.info({ minter, replica: deps.replicaId() }, "a session of another replica reached this one: answered 404 so the client opens a new session");
    }
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

  async function post(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> {
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
    const forbidden = deps.authorize(caller, body.messages);
    if (forbidden) {
      sendJsonRpcError(res, forbidden.status, JsonRpcCode.ServerError, forbidden.message, {
        id: body.messages.length === 1 && isJSONRPCRequest(body.messages[0]) ? body.messages[0].id : null,
        headers: forbidden.headers ?? {},
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
    attachCaller(req, caller);
    const refusals = paramRefusals(body.messages);
    const requestIds = body.messages.filter(isJSONRPCRequest).map((request) => request.id);
    if (sessionId !== undefined) {
      const session = sessionFor(sessionId, caller);
      if (!session) {
        sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, NO_SESSION);
        return;
      }
      if (refusals) {
        registry.touch(session);
        sendJson(res, 200, Array.isArray(body.parsed) ? refusals : refusals[0]);
        return;
      }
      registry.trackRequest(session, res, requestIds);
      await delegate(session, req, res, body.parsed);
      return;
    }
    const initialize = body.messages.find((message) => isJSONRPCRequest(message) && message.method === "initialize");
    if (initialize && refusals) {
      sendJson(res, 400, Array.isArray(body.parsed) ? refusals : refusals[0]);
      return;
    }
    if (!body.messages.some(isInitializeRequest)) {
      sendJsonRpcError(res, 400, JsonRpcCode.ServerError, "Bad Request: Mcp-Session-Id header is required; send initialize first to open a session.");
      return;
    }
    const session = await registry.open(caller.credential);
    if (!session) {
      logger.warn({ maxSessions: deps.maxSessions }, "refused a new MCP session: every session has a request in flight");
      sendJsonRpcError(
        res,
        503,
        JsonRpcCode.ServerError,
        `Service Unavailable: all ${deps.maxSessions} sessions are in use and every one has a request in flight; retry in a moment.`,
        { headers: { "retry-after": "5" } },
      );
      return;
    }
    registry.trackRequest(session, res, requestIds);
    await delegate(session, req, res, body.parsed);
    await registry.settleInitialization(session);
  }

  async function withSession(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> {
    const sessionId = sessionIdOf(req);
    if (sessionId === undefined) {
      sendJsonRpcError(res, 400, JsonRpcCode.ServerError, "Bad Request: Mcp-Session-Id header is required.");
      return;
    }
    attachCaller(req, caller);
    const session = sessionFor(sessionId, caller);
    if (!session) {
      sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, NO_SESSION);
      return;
    }
    // The GET stream lives as long as the client; it must not block a drain or count as a request in flight.
    if (req.method === "GET") registry.trackStream(session, res);
    else registry.touch(session);
    await delegate(session, req, res);
  }

  return async (req, res, caller) => {
    switch (req.method) {
      case "POST":
        return post(req, res, caller);
      case "GET":
      case "DELETE":
        return withSession(req, res, caller);
      default:
        sendJsonRpcError(res, 405, JsonRpcCode.ServerError, "Method Not Allowed: use POST, GET or DELETE.", {
          headers: { allow: "GET, POST, DELETE" },
        });
    }
  };
}
