/**
 * stdio: one client, one session. stdout carries only JSON-RPC. When the
 * transport ends, the process ends: after a clean end (the client closed
 * stdin, SIGTERM, SIGINT) with code 0; after a broken one (an oversized
 * message, stdout gone) with code 1 and one line on stderr saying why. A
 * process whose transport is dead must not live on, answering nothing.
 * Shutdown closes the runtime first, which lets webhook POSTs in flight
 * finish (bounded) and records them; a second signal exits at once.
 */
import type { Runtime } from "../runtime.js";
import { StdioLineTransport, type TransportEnd } from "./stdio-lines.js";

/** Past this, the process exits even if closing the runtime hangs. */
const SHUTDOWN_LIMIT_MS = 20_000;

export async function serveStdio(runtime: Runtime): Promise<void> {
  const server = runtime.newServer();
  // The one writer of stdout: the JSON-RPC transport itself.
  // eslint-disable-next-line no-restricted-properties
  const transport = new StdioLineTransport(process.stdin, process.stdout);
  let stopping: Promise<void> | undefined;

  const stop = (end: TransportEnd): Promise<void> =>
    (stopping ??= (async () => {
      const code = end.clean ? 0 : 1;
      if (!end.clean) process.stderr.write(`retivo-mcp: ${end.reason}\n`);
      runtime.logger.info({ why: end.reason }, "shutting down");
      setTimeout(() => process.exit(code), SHUTDOWN_LIMIT_MS).unref();
      await server.close().catch(() => {});
      await runtime.close().catch((error: unknown) => runtime.logger.error({ err: error }, "closing the runtime failed"));
      process.exit(code);
    })());

  transport.onclose = () => void stop(transport.end ?? { clean: true, reason: "the connection closed" });
  let signals = 0;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      // A client that ended stdin and then signals (the SDK's does, 2 s later) still gets the bounded wait.
      if (++signals > 1) process.exit(1);
      void stop({ clean: true, reason: signal });
    });
  }
  await server.connect(transport);
  runtime.logger.info({ mode: runtime.backend.mode }, "retivo-mcp serving MCP on stdio");
}
