/**
 * The guard's view of the MCP session that made a guarded call: what the
 * client declared it can do (read at call time, never assumed) and how to ask
 * its human.
 */
import { randomUUID } from "node:crypto";
import type { GuardSession } from "../guard/types.js";
import type { ToolCall } from "./define.js";

/** stdio has no session id: one process serves one client. */
const PROCESS_SESSION_ID = `stdio-${randomUUID()}`;

export function guardSessionFor({ server, extra }: ToolCall): GuardSession {
  const lowLevel = server.server;
  const elicitation = lowLevel.getClientCapabilities()?.elicitation;
  // An empty `elicitation: {}` predates modes and means form support.
  const supportsFormElicitation = !!elicitation && (elicitation.form !== undefined || elicitation.url === undefined);
  const client = lowLevel.getClientVersion();
  return {
    sessionId: extra.sessionId ?? PROCESS_SESSION_ID,
    client: { name: client?.name ?? "unknown", version: client?.version ?? "unknown" },
    supportsFormElicitation,
    supportsUrlElicitation: !!elicitation?.url,
    elicitForm: (params) => lowLevel.elicitInput({ ...params, mode: "form" }, { signal: extra.signal }),
    elicitUrl: (params) => lowLevel.elicitInput(params, { signal: extra.signal }),
    notifyUrlElicitationComplete: (elicitationId) => lowLevel.createElicitationCompletionNotifier(elicitationId)(),
    signal: extra.signal,
  };
}
