/**
 * A real MCP client connected over InMemoryTransport to a real server built by
 * openRuntime on a temp SQLite file. Tests script the human by answering
 * elicitation requests; nothing of ours is mocked.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  ElicitRequestSchema,
  type CallToolResult,
  type ClientCapabilities,
  type ElicitRequest,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { parseConfig, type Env } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { openRuntime, type Runtime, type RuntimeOverrides } from "../../src/runtime.js";
import { dbOf } from "./sqlite.js";

export interface HarnessOptions {
  env?: Env;
  argv?: string[];
  capabilities?: ClientCapabilities;
  /** Answers elicitation requests; setting it declares form elicitation unless capabilities say otherwise. */
  onElicit?: (request: ElicitRequest) => ElicitResult | Promise<ElicitResult>;
  overrides?: RuntimeOverrides;
  clientName?: string;
}

export interface Harness {
  client: Client;
  runtime: Runtime;
  dir: string;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Calls a tool and returns its structured content, failing the test on isError. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** Calls a tool that must fail and returns its error text. */
  fails(name: string, args?: Record<string, unknown>): Promise<string>;
  connectAnother(options?: Pick<HarnessOptions, "capabilities" | "onElicit" | "clientName">): Promise<Client>;
  close(): Promise<void>;
}

/** Accepts a form by ticking every boolean it asks for: a human who confirms everything. */
export function acceptEverything(request: ElicitRequest): ElicitResult {
  const params = request.params as { requestedSchema?: { properties?: Record<string, { type?: string }> } };
  const content: Record<string, boolean> = {};
  for (const [name, schema] of Object.entries(params.requestedSchema?.properties ?? {})) {
    if (schema.type === "boolean") content[name] = true;
  }
  return { action: "accept", content };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "retivo-test-"));
  const config = parseConfig(options.argv ?? ["serve"], {
    RETIVO_DB: join(dir, "retivo.db"),
    RETIVO_DATA_DIR: dir,
    RETIVO_LLM: "template",
    HOME: dir,
    ...options.env,
  });
  const runtime = await openRuntime(config, silentLogger(), { startDispatcher: false, ...options.overrides });
  const clients: Client[] = [];

  async function connect(opts: Pick<HarnessOptions, "capabilities" | "onElicit" | "clientName">): Promise<Client> {
    const capabilities = opts.capabilities ?? (opts.onElicit ? { elicitation: { form: {} } } : {});
    const client = new Client({ name: opts.clientName ?? "test-client", version: "1.0.0" }, { capabilities });
    if (opts.onElicit) client.setRequestHandler(ElicitRequestSchema, (request) => opts.onElicit!(request));
    const server = runtime.newServer();
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    clients.push(client);
    return client;
  }

  const client = await connect(options);
  const call = (name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

  return {
    client,
    runtime,
    dir,
    call,
    async ok<T>(name: string, args: Record<string, unknown> = {}) {
      const result = await call(name, args);
      if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
      return result.structuredContent as T;
    },
    async fails(name: string, args: Record<string, unknown> = {}) {
      const result = await call(name, args);
      if (!result.isError) throw new Error(`${name} unexpectedly succeeded: ${JSON.stringify(result.structuredContent)}`);
      return (result.content as { type: string; text: string }[]).map((c) => c.text).join("\n");
    },
    connectAnother: connect,
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads one intervention row straight from the store, bypassing every tool. */
export function storedStatus(runtime: Runtime, id: string): { status: string; version: number; flagged: number } {
  return dbOf(runtime).prepare("SELECT status, version, flagged FROM interventions WHERE id = ?").get(id) as {
    status: string;
    version: number;
    flagged: number;
  };
}

/** The id of the newest seeded intervention in `status` (optionally unflagged). */
export function seededId(runtime: Runtime, status: string, where = ""): string {
  const row = dbOf(runtime)
    .prepare(`SELECT id FROM interventions WHERE tenant_id = 'live' AND status = ? ${where} ORDER BY seq DESC LIMIT 1`)
    .get(status) as { id: string } | undefined;
  if (!row) throw new Error(`no seeded intervention in status ${status} ${where}`);
  return row.id;
}
