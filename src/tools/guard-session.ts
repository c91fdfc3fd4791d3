/**
 * The guard's view of the MCP session that made a guarded call: what the
 * client declared it can do (read at call time, never assumed) and how to ask
 * its human.
 */
import { randomUUID } from "node:crypto";
import type { GuardSession } from "../guard/types.js";
import type { ToolCall } from "./define.js";

/**
 * Transports without a session id (stdio, in-memory) get one per McpServer:
 * each server instance serves exactly one client connection, so approvals
 * still never cross from one client to another.
 */
const serverSessionIds = new WeakMap<object, string>();

export function sessionIdOf(server: ToolCall["server"], transportSessionId: string | undefined): string {
  if (transportSessionId) return transportSessionId;
  let id = serverSessionIds.get(server);
  if (!id) serverSessionIds.set(server, (id = `local-${randomUUID()}`));
  return id;
}

export function guardSessionFor({ server, extra }: ToolCall): GuardSession {
  const lowLevel = server.server;
  const elicitation = lowLevel.getClientCapabilities()?.elicitation;
  // An empty `elicitation: {}` predates modes and means form support.
  const supportsFormElicitation = !!elicitation && (elicitation.form !== undefined || elicitation.url === undefined);
  const client = lowLevel.getClientVersion();
  return {
    sessionId: sessionIdOf(server, extra.sessionId),
    client: { name: client?.name ?? "unknown", version: client?.version ?? "unknown" },
    supportsFormElicitation,
    supportsUrlElicitation: !!elicitation?.url,
    // relatedRequestId: over Streamable HTTP the question travels on the tool call's own
    // response stream, so it reaches clients that never open the standalone GET stream.
    elicitForm: (params) => lowLevel.elicitInput({ ...params, mode: "form" }, { signal: extra.signal, relatedRequestId: extra.requestId }),
    elicitUrl: (params) => lowLevel.elicitInput(params, { signal: extra.signal, relatedRequestId: extra.requestId }),
    notifyUrlElicitationComplete: (elicitationId) => lowLevel.createElicitationCompletionNotifier(elicitationId)(),
    signal: extra.signal,
  };
}
