/**
 * A real MCP client through the balancer, for the replica tests: connects
 * until its session lands on a wanted replica (round robin spreads them), and
 * answers elicitations as a scripted human would (confirm in the form, or
 * open the approval link the server hands out).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type CallToolResult, type ElicitRequestURLParams, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { acceptEverything } from "../../support/harness.js";

export interface Session {
  client: Client;
  /** The replica named in the session id. */
  replica: string;
  /** The approval links this session's server asked it to open. */
  urls: string[];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export type Human = "form" | "url" | "none";

export async function openSession(balancer: string, name: string, human: Human): Promise<Session> {
  const capabilities = human === "form" ? { elicitation: { form: {} } } : human === "url" ? { elicitation: { url: {} } } : {};
  const client = new Client({ name, version: "1.0.0" }, { capabilities });
  const urls: string[] = [];
  if (human !== "none") {
    client.setRequestHandler(ElicitRequestSchema, (request): ElicitResult => {
      if (human === "form") return acceptEverything(request);
      urls.push((request.params as ElicitRequestURLParams).url);
      return { action: "accept" };
    });
  }
  const transport = new StreamableHTTPClientTransport(new URL(`${balancer}/mcp`));
  await client.connect(transport);
  return {
    client,
    replica: transport.sessionId!.split(".")[0]!,
    urls,
    call: async (tool, args) => (await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 20_000 })) as CallToolResult,
    close: () => client.close(),
  };
}

/** A session on `replica`, opening (and closing) others until round robin lands there. */
export async function sessionOn(balancer: string, replica: string, human: Human): Promise<Session> {
  for (let i = 0; i < 8; i++) {
    const session = await openSession(balancer, `on-${replica}-${i}`, human);
    if (session.replica === replica) return session;
    await session.close();
  }
  throw new Error(`no session landed on ${replica} in 8 tries`);
}

export function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}
