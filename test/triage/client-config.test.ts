/**
 * Every client configuration we publish works: each JSON block in
 * docs/clients.md and README.md parses, mcp.json too, and every server entry
 * (and every `claude mcp add` line) names a command that really starts this
 * server: it is spawned from the built dist/ and must answer initialize.
 * server.json's package entry matches our config and starts the server (its
 * schema: test/packaging/server-json.test.ts).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawn, spawnSync } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../rest/support.js";
import { freePort } from "../support/ports.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "dist", "cli.js");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "retivo-clients-"));
const seeded = join(scratch, "seeded.db");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * The snippets' API keys (the docs' placeholder, a VS Code input) meet a local
 * REST server on loopback that holds exactly those keys: the server checks its
 * key upstream at start, and nothing here may reach the real Retivo API.
 */
const SNIPPET_KEYS = ["rt_test_your_key_here", "rt_test_config_check"];
let upstream: TestServer;

// Seed one store up front and give every launch a copy: seeding is the slow part of a first start.
beforeAll(async () => {
  if (!existsSync(CLI)) return;
  const env = { PATH: process.env.PATH, HOME: scratch, RETIVO_DB: seeded, RETIVO_DATA_DIR: scratch, RETIVO_LLM: "template" };
  const run = spawnSync(process.execPath, [CLI, "seed"], { env, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`seeding failed: ${run.stderr}`);
  upstream = await startTestServer({ RETIVO_API_KEYS: SNIPPET_KEYS.join(",") });
});
afterAll(async () => upstream?.close());

interface ServerEntry {
  type?: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
  headers?: Record<string, string>;
}

/** How a snippet starts the server, resolved to this clone's build. */
type Launch = { kind: "stdio"; args: string[]; env: Record<string, string> } | { kind: "http"; url: string; authorization: string };

function codeBlocks(markdown: string, lang: string): string[] {
  const fence = new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g");
  return [...markdown.matchAll(fence)].map((m) => m[1]!);
}

function documents(): { source: string; text: string }[] {
  const docs = [{ source: "mcp.json", text: read("mcp.json") }];
  for (const file of ["docs/clients.md", "README.md"]) {
    if (!existsSync(join(ROOT, file))) continue;
    codeBlocks(read(file), "json").forEach((text, i) => docs.push({ source: `${file} json block ${i + 1}`, text }));
  }
  return docs;
}

/** Placeholders a human fills in: a VS Code input becomes a value of the right shape. */
function filled(name: string, value: string): string {
  if (!value.includes("${input:")) return value;
  return name === "RETIVO_API_KEY" ? "rt_test_config_check" : value.replace(/\$\{input:[^}]+\}/g, "config-check-token");
}

function launchOf(entry: ServerEntry): Launch {
  if (entry.url !== undefined) {
    const authorization = entry.headers?.Authorization ?? "";
    return { kind: "http", url: entry.url, authorization: filled("", authorization) };
  }
  const command = entry.command ?? "";
  const args = entry.args ?? [];
  const env = Object.fromEntries(Object.entries(entry.env ?? {}).map(([k, v]) => [k, filled(k, v)]));
  if (command === "node" && args[0]?.endsWith("dist/cli.js")) return { kind: "stdio", args: args.slice(1), env };
  if (command === "retivo-mcp") return { kind: "stdio", args, env };
  if (command === "npx" && args.includes("retivo-mcp")) return { kind: "stdio", args: args.slice(args.indexOf("retivo-mcp") + 1), env };
  throw new Error(`'${command} ${args.join(" ")}' does not start retivo-mcp`);
}

function serverEntries(config: Record<string, unknown>): [string, ServerEntry][] {
  const servers = (config.mcpServers ?? config.servers) as Record<string, ServerEntry> | undefined;
  return servers ? Object.entries(servers) : [];
}

/** `claude mcp add NAME [-e K=V]... -- CMD ARGS...` or `claude mcp add --transport http NAME URL --header "..."` */
function claudeAddLaunch(line: string): Launch {
  const http = /--transport http \S+ (\S+) --header "Authorization: ([^"]+)"/.exec(line);
  if (http) return { kind: "http", url: http[1]!, authorization: http[2]! };
  const [options, command] = line.split(" -- ");
  const env = Object.fromEntries([...options!.matchAll(/-e (\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
  const [program, ...args] = command!.trim().split(/\s+/);
  return launchOf({ command: program, args, env });
}

function isolatedEnv(name: string): Record<string, string> {
  const dir = join(scratch, name.replace(/\W+/g, "-"));
  mkdirSync(dir, { recursive: true });
  copyFileSync(seeded, join(dir, "retivo.db"));
  return { RETIVO_DB: join(dir, "retivo.db"), RETIVO_DATA_DIR: dir, HOME: dir, RETIVO_LLM: "template", LOG_LEVEL: "error", RETIVO_API_URL: upstream.server.url };
}

async function initializeOverStdio(name: string, launch: Extract<Launch, { kind: "stdio" }>): Promise<void> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...launch.args],
    env: { ...isolatedEnv(name), ...launch.env },
    stderr: "pipe",
  });
  const client = new Client({ name: "config-check", version: "1.0.0" });
  // A stdout line that is not JSON-RPC reaches the client as a transport error: there must be none.
  const notJsonRpc: string[] = [];
  client.onerror = (error) => void notJsonRpc.push(error.message);
  try {
    await client.connect(transport);
    expect(client.getServerVersion()?.name, name).toBe("retivo-mcp");
    expect((await client.listTools()).tools.length, name).toBeGreaterThan(0);
    expect(notJsonRpc, `${name}: stdout carried more than JSON-RPC`).toEqual([]);
  } finally {
    await client.close();
  }
}

/** Starts `serve --http` as the docs say, with the token the snippet sends, and connects the way the snippet does. */
async function initializeOverHttp(name: string, launch: Extract<Launch, { kind: "http" }>): Promise<void> {
  expect(launch.url, name).toBe("http://127.0.0.1:8080/mcp");
  expect(launch.authorization, name).toMatch(/^Bearer \S+$/);
  const token = launch.authorization.slice("Bearer ".length);
  const port = await freePort();
  const server = spawn(process.execPath, [CLI, "serve", "--http", "--port", String(port)], {
    env: { PATH: process.env.PATH, ...isolatedEnv(name), RETIVO_MCP_TOKEN: token },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  server.stderr.on("data", (chunk: Buffer) => void (log += chunk.toString()));
  const url = new URL(launch.url);
  url.port = String(port);
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const client = new Client({ name: "config-check", version: "1.0.0" });
      const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: launch.authorization } } });
      try {
        await client.connect(transport);
        expect(client.getServerVersion()?.name, name).toBe("retivo-mcp");
        await client.close();
        return;
      } catch (error) {
        await client.close().catch(() => {});
        if (Date.now() > deadline || server.exitCode !== null) throw new Error(`${name}: ${(error as Error).message}\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    server.kill();
  }
}

/**
 * Snippets that resolve to the same launch (the local-store config of three
 * clients, say) share one spawned server: the check is the same, and each
 * start costs seconds on a busy machine.
 */
const launches = new Map<string, Promise<void>>();
function checkLaunch(name: string, launch: Launch): Promise<void> {
  const key = JSON.stringify(launch);
  let check = launches.get(key);
  if (!check) {
    check = launch.kind === "stdio" ? initializeOverStdio(name, launch) : initializeOverHttp(name, launch);
    launches.set(key, check);
  }
  return check;
}

describe("client configuration snippets", () => {
  it("are built against (run npm run build first)", () => {
    expect(existsSync(CLI), "dist/cli.js is missing: npm run build").toBe(true);
  });

  const docs = documents();
  it("all parse as JSON, and every client config names at least one server", () => {
    for (const doc of docs) {
      const parsed = JSON.parse(doc.text) as Record<string, unknown>;
      if ("mcpServers" in parsed || "servers" in parsed) expect(serverEntries(parsed).length, doc.source).toBeGreaterThan(0);
    }
    expect(docs.filter((d) => d.source.startsWith("docs/clients.md")).length).toBeGreaterThanOrEqual(8);
  });

  it("uses each client's own shape: VS Code 'servers' with a type, the others 'mcpServers'; every URL entry says type http", () => {
    let urlEntries = 0;
    for (const doc of docs) {
      const parsed = JSON.parse(doc.text) as Record<string, unknown>;
      for (const [, entry] of serverEntries(parsed)) {
        if ("servers" in parsed) expect(["stdio", "http"], doc.source).toContain(entry.type);
        // Without it Claude Code refuses the entry and the Inspector cannot tell how to connect.
        if (entry.url !== undefined) {
          urlEntries++;
          expect(entry.type, `${doc.source}: a url entry needs "type": "http"`).toBe("http");
        }
      }
    }
    expect(urlEntries).toBeGreaterThanOrEqual(2); // Cursor and VS Code
  });

  for (const doc of docs) {
    let entries: [string, ServerEntry][] = [];
    try {
      entries = serverEntries(JSON.parse(doc.text) as Record<string, unknown>);
    } catch {
      // Reported by the parse test above.
    }
    for (const [serverName, entry] of entries) {
      it.concurrent(`${doc.source} (${serverName}) starts the server`, { timeout: 30_000 }, async () => {
        await checkLaunch(`${doc.source}-${serverName}`, launchOf(entry));
      });
    }
  }

  const addLines = codeBlocks(read("docs/clients.md"), "sh")
    .flatMap((block) => block.split("\n"))
    .filter((line) => line.startsWith("claude mcp add"));
  it("include the claude mcp add forms", () => {
    expect(addLines.some((l) => l.includes("-e RETIVO_API_KEY="))).toBe(true);
    expect(addLines.some((l) => l.includes("--transport http"))).toBe(true);
  });
  for (const line of addLines) {
    it.concurrent(`'${line.slice(0, 70)}…' starts the server`, { timeout: 30_000 }, async () => {
      await checkLaunch(line, claudeAddLaunch(line));
    });
  }
});

describe("server.json (MCP registry)", () => {
  const manifest = JSON.parse(read("server.json")) as {
    $schema: string;
    name: string;
    description: string;
    version: string;
    packages: {
      registryType: string;
      identifier: string;
      version: string;
      transport: { type: string };
      packageArguments?: { type: string; value?: string }[];
      environmentVariables: { name: string }[];
    }[];
  };
  const pkg = JSON.parse(read("package.json")) as { name: string; version: string; bin: Record<string, string> };

  it("describes the npm package we build, started over stdio", () => {
    const [npm] = manifest.packages;
    expect(npm).toMatchObject({ registryType: "npm", identifier: pkg.name, version: pkg.version, transport: { type: "stdio" } });
    expect(manifest.version).toBe(pkg.version);
    expect(pkg.bin["retivo-mcp"]).toBe("dist/cli.js");
    expect(npm!.packageArguments).toEqual([{ type: "positional", value: "serve" }]);
  });

  it("lists only environment variables the server reads", () => {
    const config = read("src/config.ts");
    for (const { name } of manifest.packages[0]!.environmentVariables) expect(config, name).toContain(`env.${name}`);
  });

  it("starts the server with its package arguments", { timeout: 30_000 }, async () => {
    const args = manifest.packages[0]!.packageArguments!.map((a) => a.value!);
    await checkLaunch("server.json", { kind: "stdio", args, env: {} });
  });
});
