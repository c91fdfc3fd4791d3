/**
 * The stores and server commands of one bench run, all under one temp dir
 * that `dispose` removes. Our server, the bare floor and the generic
 * OpenAPI server are started the same way: `node <script> …`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { childEnv, type ServerCommand } from "./stdio-client.js";
import { freePort, waitForPort } from "./ports.js";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli.js");
export const BARE = join(ROOT, "bench", "bare-server.mjs");
export const GENERIC = join(ROOT, "node_modules", "@ivotoby", "openapi-mcp-server", "bin", "mcp-server.js");
export const REST_KEY = "rt_test_bench0000000000000000";

export function tempDir(prefix: string, base = tmpdir()): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(base, `retivo-bench-${prefix}-`));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Environment of our server on `dbPath`: template writer (offline, deterministic), quiet logs. */
export function ourEnv(dir: string, dbPath: string): Record<string, string> {
  return {
    RETIVO_DB: dbPath,
    RETIVO_DATA_DIR: dir,
    RETIVO_OUTBOX: join(dir, "outbox"),
    RETIVO_LLM: "template",
    LOG_LEVEL: "warn",
    HOME: dir,
  };
}

/** Seeds the demo data set with the built CLI, exactly as a user would. */
export function seedDemo(dir: string, dbPath: string): void {
  const result = spawnSync(process.execPath, [CLI, "seed"], { env: childEnv(ourEnv(dir, dbPath)), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`retivo-mcp seed failed: ${result.stderr}`);
}

export function ourStdio(dir: string, dbPath: string): ServerCommand {
  return { label: "retivo-mcp", args: [CLI, "serve"], env: ourEnv(dir, dbPath) };
}

export const bareStdio: ServerCommand = { label: "bare SDK", args: [BARE] };

/** The bare server that also answers `replay` with the result stored in `file`, and `replay_get` with `getFile`'s (see bare-server.mjs). */
export const bareReplaying = (file: string, getFile?: string): ServerCommand => ({
  label: "bare SDK",
  args: [BARE, "--replay", file, ...(getFile ? ["--replay-get", getFile] : [])],
});

export interface Background {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a long-running child listening on a fresh loopback port and waits until it accepts. */
export async function startListening(args: (port: number) => string[], env: Record<string, string>): Promise<Background> {
  const port = await freePort();
  const child = spawn(process.execPath, args(port), { env: childEnv(env), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  try {
    await Promise.race([
      waitForPort(port),
      exited.then(() => {
        throw new Error(`${args(port).join(" ")} exited early: ${stderr}`);
      }),
    ]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    port,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface GenericSetup {
  rest: Background;
  command: ServerCommand;
  specPath: string;
}

/**
 * Our local REST server on the store plus the command that points the generic
 * OpenAPI-to-MCP server at its OpenAPI document (saved to a file, so its cold
 * start is not charged for an HTTP fetch) with a test key.
 */
export async function startGeneric(dir: string, dbPath: string): Promise<GenericSetup> {
  const rest = await startListening((port) => [CLI, "api", "--port", String(port)], {
    ...ourEnv(dir, dbPath),
    RETIVO_API_KEYS: REST_KEY,
    RETIVO_API_RATE_PER_MINUTE: "100000000",
  });
  const baseUrl = `http://127.0.0.1:${rest.port}`;
  const response = await fetch(`${baseUrl}/api/openapi.json`, { headers: { authorization: `Bearer ${REST_KEY}` } });
  if (!response.ok) throw new Error(`GET /api/openapi.json: HTTP ${response.status}`);
  const specPath = join(dir, "openapi.json");
  writeFileSync(specPath, await response.text());
  return {
    rest,
    specPath,
    command: {
      label: "generic OpenAPI",
      args: [GENERIC, "--api-base-url", baseUrl, "--openapi-spec", specPath, "--headers", `Authorization:Bearer ${REST_KEY}`, "--verbose", "false"],
      env: { HOME: dir },
    },
  };
}
