/** The built server (dist/cli.js serve) over stdio, as a client sees it, on a given store file. */
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { acceptEverything } from "../../support/harness.js";

export const CLI = resolve(import.meta.dirname, "..", "..", "..", "dist", "cli.js");

export interface Spawned {
  client: Client;
  pid: number;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  kill9(): void;
  close(): Promise<void>;
}

export async function spawnServer(dir: string, options: { confirmApprovals?: boolean; name?: string } = {}): Promise<Spawned> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, "serve"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      RETIVO_DB: join(dir, "retivo.db"),
      RETIVO_DATA_DIR: dir,
      RETIVO_OUTBOX: join(dir, "outbox"),
      RETIVO_LLM: "template",
      LOG_LEVEL: "error",
    },
    stderr: "ignore",
  });
  const client = new Client(
    { name: options.name ?? "reliability", version: "1.0.0" },
    { capabilities: options.confirmApprovals ? { elicitation: { form: {} } } : {} },
  );
  if (options.confirmApprovals) client.setRequestHandler(ElicitRequestSchema, (request) => acceptEverything(request));
  await client.connect(transport);
  const pid = transport.pid!;
  const kill9 = () => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  return {
    client,
    pid,
    call: (name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: 10_000 }) as Promise<CallToolResult>,
    kill9,
    async close() {
      await client.close().catch(() => {});
      kill9();
    },
  };
}
