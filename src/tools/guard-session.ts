/**
 * The guard's view of the MCP session that made a guarded call: who the caller
 * is (its principal), what the client declared it can do (read at call time,
 * never assumed) and how to ask its human.
 */
import { randomUUID } from "node:crypto";
import { MAX_CLIENT_NAME, MAX_CLIENT_VERSION } from "../guard/guard-audit.js";
import { LOCAL_PRINCIPAL, type GuardSession } from "../guard/types.js";
import type { ToolCall } from "./define.js";

/**
 * The caller's identity, as the HTTP transport established it from the
 * request's credential (`authInfo.extra.principal`); 'local' otherwise.
 * Approval requests belong to it, so a reconnecting client finds its own.
 */
export function principalOf(extra: ToolCall["extra"]): string {
  const principal = extra.authInfo?.extra?.principal;
  return typeof principal === "string" && principal !== "" ? principal : LOCAL_PRINCIPAL;
}

/**
 * A per-connection key for caches that must not mix clients (the sampling
 * writer's drafts): the transport's session id, or one per McpServer for
 * transports without (each serves exactly one connection). Never shown to a
 * client and never part of an approval.
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
  // The client names itself: capped once here, so no row or audit detail can be bloated by it.
  const name = (client?.name ?? "unknown").slice(0, MAX_CLIENT_NAME);
  const version = (client?.version ?? "unknown").slice(0, MAX_CLIENT_VERSION);
  return {
    principal: principalOf(extra),
    client: { name, version },
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
