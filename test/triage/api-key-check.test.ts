/**
 * A key the Retivo API refuses is said at start, in plain words, and the
 * server does not come up looking "Connected". The built server is spawned as
 * a client would launch it, against the local REST server on loopback (never
 * the real Retivo API).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../contract/harness.js";
import { startTestServer, type TestServer } from "../rest/support.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const GOOD_KEY = "rt_test_keycheck0000000000000000";

let upstream: TestServer;
let dir: ReturnType<typeof tempDir>;
let restUrl: string;

beforeAll(async () => {
  dir = tempDir();
  upstream = await startTestServer({ RETIVO_API_KEYS: GOOD_KEY });
  restUrl = upstream.server.url;
});
afterAll(async () => {
  await upstream?.close();
  dir?.remove();
});

const envFor = (key: string, url: string) => ({
  PATH: process.env.PATH ?? "",
  HOME: dir.path,
  RETIVO_DB: join(dir.path, "mcp.db"),
  RETIVO_DATA_DIR: dir.path,
  RETIVO_API_KEY: key,
  RETIVO_API_URL: url,
  LOG_LEVEL: "warn",
});

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function handshake(env: Record<string, string>): Promise<{ tools: number; stderr: string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "serve"], env, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  const client = new Client({ name: "key-check", version: "1.0.0" });
  try {
    await client.connect(transport);
    return { tools: (await client.listTools()).tools.length, stderr };
  } finally {
    await client.close();
  }
}

describe("the API key, checked at start", () => {
  it("stops with a plain message when the API refuses the docs' placeholder key", async () => {
    // Not spawnSync: the REST server that must answer runs in this very process.
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      const child = execFile(process.execPath, [CLI, "serve"], { env: envFor("rt_test_your_key_here", restUrl), timeout: 20_000 }, (error, stdout, stderr) =>
        done({ status: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`retivo-mcp: The Retivo API at ${restUrl} refused RETIVO_API_KEY`);
    expect(run.stderr).toContain("HTTP 401");
    expect(run.stderr).toContain("That is the placeholder from the setup docs, not a real key.");
    expect(run.stderr).not.toContain(GOOD_KEY);
  });

  it("serves when the API accepts the key", { timeout: 30_000 }, async () => {
    const { tools } = await handshake(envFor(GOOD_KEY, restUrl));
    expect(tools).toBeGreaterThan(0);
  });

  it("starts anyway, with a warning, when the API cannot be reached", { timeout: 30_000 }, async () => {
    const { tools, stderr } = await handshake(envFor(GOOD_KEY, `http://127.0.0.1:${await closedPort()}`));
    expect(tools).toBeGreaterThan(0);
    expect(stderr).toContain("could not check RETIVO_API_KEY at start");
  });
});
