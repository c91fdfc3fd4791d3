/** Who the audit log names for a tool call: the MCP client, as the agent. */

export function actorOf(call: { server: { server: { getClientVersion(): { name: string } | undefined } } }): string {
  return `agent:${call.server.server.getClientVersion()?.name ?? "unknown"}`;
}
