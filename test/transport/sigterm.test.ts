/**
 * SIGTERM against the built CLI (`retivo-mcp serve --http --port 0`) while
 * writes are in flight, including an approval whose human answers only after
 * the signal: the process drains and exits 0, and every write a client saw
 * acknowledged is in the store when it is reopened, which passes
 * `PRAGMA integrity_check`.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptConfirmed } from "../guard/helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli.js");
const TRANSPORT_SOURCES = ["src/transport/http.ts", "src/transport/http/start.ts", "src/transport/http/shutdown.ts", "src/transport/http/sessions.ts"];

/** `npm test` builds first; a direct `vitest run` rebuilds when the transport is newer than dist. */
function ensureBuilt(): void {
  const built = join(ROOT, "dist/transport/http/start.js");
  const stale =
    !existsSync(CLI) || !existsSync(built) || TRANSPORT_SOURCES.some((file) => statSync(join(ROOT, file)).mtimeMs > statSync(built).mtimeMs);
  if (stale) execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "ignore", timeout: 120_000 });
}

interface Started {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** Starts the CLI and reads the URL it logs (pino JSON on stderr) once it listens. */
function startCli(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the CLI did not report its URL in time:\n${stderr}`));
    }, 20_000);
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      for (const line of stderr.split("\n")) {
        try {
          const record = JSON.parse(line) as { url?: string };
          if (record.url?.endsWith("/mcp")) {
            clearTimeout(timer);
            resolveStart({ child, url: record.url, exited, stderr: () => stderr });
            return;
          }
        } catch {
          // a partial line; the rest comes with the next chunk
        }
      }
    });
    void exited.then((code) => reject(new Error(`the CLI exited (${code}) before listening:\n${stderr}`)));
  });
}

async function connect(url: string, onElicit?: () => Promise<ElicitResult> | ElicitResult): Promise<Client> {
  const client = new Client({ name: "sigterm-test", version: "1.0.0" }, { capabilities: onElicit ? { elicitation: { form: {} } } : {} });
  if (onElicit) client.setRequestHandler(ElicitRequestSchema, () => onElicit());
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe("SIGTERM during in-flight calls", () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "retivo-sigterm-"));
  }, 150_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("drains, exits 0, and loses no acknowledged write", async () => {
    const dbPath = join(dir, "retivo.db");
    const env = { RETIVO_DB: dbPath, RETIVO_DATA_DIR: dir, HOME: dir, RETIVO_LLM: "template", LOG_LEVEL: "info" };
    const server = await startCli(env);

    // The CLI seeded the store on start; read targets from it (WAL allows a concurrent reader).
    const reader = new Database(dbPath, { readonly: true });
    const planned = (
      reader.prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = 'planned' AND flagged = 0 ORDER BY seq").all() as { id: string }[]
    ).map((r) => r.id);
    reader.close();
    expect(planned.length).toBeGreaterThanOrEqual(9);
    const [approveTarget, ...rest] = planned;
    const flagTargets = rest.slice(0, 4);
    const pauseTargets = rest.slice(4, 8);

    // One approval whose human answers only after SIGTERM was sent.
    let signalled!: () => void;
    const afterSignal = new Promise<void>((done) => (signalled = done));
    const approver = await connect(server.url, async () => {
      await afterSignal;
      await new Promise((r) => setTimeout(r, 200));
      return acceptConfirmed({ method: "elicitation/create", params: { message: "", requestedSchema: { type: "object", properties: {} } } } as never);
    });
    const writers = await Promise.all([connect(server.url), connect(server.url)]);

    const acknowledged: Array<{ tool: string; id: string }> = [];
    const track = (tool: string, id: string, call: Promise<unknown>) =>
      (call as Promise<CallToolResult>).then(
        (result) => {
          if (!result.isError) acknowledged.push({ tool, id });
        },
        () => {}, // refused (503) or cut off: not acknowledged, so nothing to check
      );
    const approval = track("approve", approveTarget!, approver.callTool({ name: "approve_intervention", arguments: { intervention_id: approveTarget } }));
    // Let the approval reach its human before the signal.
    await new Promise((r) => setTimeout(r, 300));
    const calls = [
      approval,
      ...flagTargets.map((id, i) =>
        track("flag", id, writers[i % 2]!.callTool({ name: "flag_intervention", arguments: { intervention_id: id, reason: "checked before shutdown" } })),
      ),
      ...pauseTargets.map((id, i) => track("pause", id, writers[i % 2]!.callTool({ name: "pause_intervention", arguments: { intervention_id: id } }))),
    ];
    server.child.kill("SIGTERM");
    signalled();
    await Promise.all(calls);
    const code = await Promise.race([server.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 15_000))]);
    if (code === "timeout") server.child.kill("SIGKILL");
    expect(code, server.stderr()).toBe(0);
    await Promise.all([approver, ...writers].map((c) => c.close().catch(() => {})));

    // The approval was in flight at the signal and its human answered during the drain.
    expect(acknowledged).toContainEqual({ tool: "approve", id: approveTarget });
    const db = new Database(dbPath);
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      const row = db.prepare("SELECT status, flagged FROM interventions WHERE id = ?");
      for (const { tool, id } of acknowledged) {
        const stored = row.get(id) as { status: string; flagged: number };
        if (tool === "approve") expect(stored.status, id).toBe("approved");
        if (tool === "flag") expect(stored.flagged, id).toBe(1);
        if (tool === "pause") expect(stored.status, id).toBe("paused");
      }
    } finally {
      db.close();
    }
    expect(server.stderr()).toMatch(/HTTP transport stopped/);
  });
});
