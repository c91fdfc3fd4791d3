/** Who the audit log names for a tool call: the MCP client, as the agent. */
import { agentActor } from "../guard/guard-audit.js";

export function actorOf(call: { server: { server: { getClientVersion(): { name: string; version: string } | undefined } } }): string {
  return agentActor(call.server.server.getClientVersion() ?? { name: "unknown", version: "unknown" });
}
