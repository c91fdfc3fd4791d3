/**
 * `retivo-mcp serve --http`: Streamable HTTP on /mcp, with probes, the
 * approval page, and a graceful stop on SIGTERM/SIGINT. The pieces live in
 * ./http/; this is the entry the CLI imports.
 */
import type { Runtime } from "../runtime.js";
import { exitOnSignals } from "./http/shutdown.js";
import { startHttpServer } from "./http/start.js";

export { startHttpServer, MCP_PATH, type HttpServerOptions, type HttpRoute, type RunningHttpServer } from "./http/start.js";

export async function serveHttp(runtime: Runtime): Promise<void> {
  const server = await startHttpServer(runtime);
  exitOnSignals(() => server.close(), runtime.logger);
  runtime.logger.info(
    {
      url: server.url,
      host: server.host,
      port: server.port,
      replica: server.replicaId,
      mode: runtime.backend.mode,
      auth: runtime.config.http.oauth ? "oauth" : runtime.config.http.token ? "bearer" : "none",
    },
    `retivo-mcp serving MCP over Streamable HTTP at ${server.url}`,
  );
}
