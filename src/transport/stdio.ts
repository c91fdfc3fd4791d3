/**
 * stdio: one client, one session. stdout carries only JSON-RPC; the runtime
 * closes cleanly when the client goes away or a signal arrives.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Runtime } from "../runtime.js";

export async function serveStdio(runtime: Runtime): Promise<void> {
  const server = runtime.newServer();
  const transport = new StdioServerTransport();
  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    runtime.logger.info({ why }, "shutting down");
    await server.close().catch(() => {});
    await runtime.close();
  };
  transport.onclose = () => void shutdown("client closed the connection");
  process.stdin.on("end", () => void shutdown("stdin ended"));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void shutdown(signal).then(() => process.exit(0)));
  await server.connect(transport);
  runtime.logger.info({ mode: runtime.backend.mode }, "retivo-mcp serving MCP on stdio");
}
