/**
 * A real Streamable HTTP server (startHttpServer over openRuntime on a temp
 * SQLite file, 127.0.0.1, port 0) and real SDK clients connected to it over
 * StreamableHTTPClientTransport. Nothing of ours is mocked.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ElicitRequestSchema,
  type CallToolResult,
  type ClientCapabilities,
  type ElicitRequest,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { parseConfig, type Env } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { openRuntime, type Runtime } from "../../src/runtime.js";
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from "../../src/transport/http.js";

export interface ClientOptions {
  name?: string;
  token?: string;
  capabilities?: ClientCapabilities;
  /** Answers elicitation; declares form elicitation unless capabilities say otherwise. */
  onElicit?: (request: ElicitRequest) => ElicitResult | Promise<ElicitResult>;
}

export interface TestClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
}

export interface HttpHarness {
  runtime: Runtime;
  server: RunningHttpServer;
  url: string;
  dir: string;
  connect(options?: ClientOptions): Promise<TestClient>;
  close(): Promise<void>;
}

export async function startHttpHarness(options: { env?: Env; server?: HttpServerOptions } = {}): Promise<HttpHarness> {
  const dir = mkdtempSync(join(tmpdir(), "retivo-http-"));
  const config = parseConfig(["serve", "--http", "--port", "0"], {
    RETIVO_DB: join(dir, "retivo.db"),
    RETIVO_DATA_DIR: dir,
    RETIVO_LLM: "template",
    HOME: dir,
    ...options.env,
  });
  const runtime = await openRuntime(config, silentLogger(), { startDispatcher: false });
  const server = await startHttpServer(runtime, { shutdownDeadlineMs: 2000, ...options.server });
  const clients: Client[] = [];
  let closed = false;

  return {
    runtime,
    server,
    url: server.url,
    dir,
    async connect(clientOptions: ClientOptions = {}) {
      const capabilities = clientOptions.capabilities ?? (clientOptions.onElicit ? { elicitation: { form: {} } } : {});
      const client = new Client({ name: clientOptions.name ?? "http-test-client", version: "1.0.0" }, { capabilities });
      if (clientOptions.onElicit) client.setRequestHandler(ElicitRequestSchema, (request) => clientOptions.onElicit!(request));
      const headers: Record<string, string> = clientOptions.token ? { authorization: `Bearer ${clientOptions.token}` } : {};
      const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers } });
      await client.connect(transport);
      clients.push(client);
      const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
      return {
        client,
        transport,
        call,
        async ok<T>(name: string, args: Record<string, unknown> = {}) {
          const result = await call(name, args);
          if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
          return result.structuredContent as T;
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await server.close(); // also closes the runtime
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): unknown;
}

/**
 * One raw HTTP request, with full control of Host and Origin (fetch forbids
 * setting Host). Reads at most the first chunk of SSE bodies.
 */
export function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers: init.headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      const finish = () => {
        const body = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as unknown });
      };
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        if (String(res.headers["content-type"]).includes("text/event-stream")) {
          res.destroy();
          finish();
        }
      });
      res.on("end", finish);
      res.on("error", () => finish());
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", (error) => {
      // The server may answer (413) and close before the whole body was written.
      if ((error as NodeJS.ErrnoException).code === "EPIPE" || (error as NodeJS.ErrnoException).code === "ECONNRESET") return;
      reject(error);
    });
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1.0.0" } },
} as const;

export const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "retivo-http-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
