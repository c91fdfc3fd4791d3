/**
 * Spawning an MCP server over stdio with the SDK's own client, timing
 * spawn → initialize result, and a client that answers approval forms the way
 * a human who confirms everything would (ticks every boolean).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";

export interface ServerCommand {
  label: string;
  args: string[];
  env?: Record<string, string>;
}

export interface StdioSession {
  client: Client;
  pid: number;
  coldStartMs: number;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export function confirmEverything(request: ElicitRequest): ElicitResult {
  const params = request.params as { requestedSchema?: { properties?: Record<string, { type?: string }> } };
  const content: Record<string, boolean> = {};
  for (const [name, schema] of Object.entries(params.requestedSchema?.properties ?? {})) {
    if (schema.type === "boolean") content[name] = true;
  }
  return { action: "accept", content };
}

/** Only what a child needs: no credentials of the bench's own environment leak into the servers. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", ...extra };
}

export async function spawnStdio(command: ServerCommand, options: { elicitation?: boolean } = {}): Promise<StdioSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: command.args,
    env: childEnv(command.env),
    stderr: "ignore",
  });
  const client = new Client(
    { name: "retivo-bench", version: "1.0.0" },
    { capabilities: options.elicitation ? { elicitation: { form: {} } } : {} },
  );
  if (options.elicitation) client.setRequestHandler(ElicitRequestSchema, (request) => confirmEverything(request));
  const start = performance.now();
  await client.connect(transport);
  const coldStartMs = performance.now() - start;
  const pid = transport.pid;
  if (pid === null) throw new Error(`${command.label}: no child pid after connect`);
  return {
    client,
    pid,
    coldStartMs,
    call: (name, args = {}) => client.callTool({ name, arguments: args }, undefined, { timeout: 30_000 }) as Promise<CallToolResult>,
    async close() {
      await client.close().catch(() => {});
      // The SDK ends stdin then signals; make sure nothing outlives the bench.
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    },
  };
}
