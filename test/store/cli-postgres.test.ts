/**
 * The built CLI on a PostgreSQL store (RETIVO_DATABASE_URL): `seed`, `serve`
 * (two processes on one database, as two replicas), `api`, `approvals` and
 * `audit` all work on it, and an unreachable server is one line naming the
 * host, never the password, with a failing exit code. On the real server when
 * RETIVO_TEST_DATABASE_URL is set, else on PGlite over a socket.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { CLI, spawnServer, type Spawned } from "../reliability/support/spawned.js";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "./support/postgres.js";

let database: PostgresTarget;
let dir: string;

beforeAll(async () => {
  database = REAL_SERVER_URL ? await startRealServer(REAL_SERVER_URL) : await startPglite();
  dir = mkdtempSync(join(tmpdir(), "retivo-cli-pg-"));
}, 120_000);
afterAll(async () => {
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, RETIVO_DATA_DIR: dir, RETIVO_LLM: "template", LOG_LEVEL: "error", RETIVO_DATABASE_URL: database.url, ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: env(extra), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const structured = (result: { structuredContent?: unknown }) => result.structuredContent as Record<string, unknown>;
const textOf = (result: { content?: unknown }) => ((result.content as { text?: string }[] | undefined) ?? []).map((c) => c.text ?? "").join("\n");

describe("the CLI on PostgreSQL", () => {
  it("names an unreachable server in one line, without its password, and exits non-zero", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    for (const command of [["audit", "verify"], ["approvals", "list"], ["seed"]]) {
      const { code, stderr } = await cli(command, { RETIVO_DATABASE_URL: `postgres://retivo:hunter2secret@127.0.0.1:${port}/retivo` });
      expect(code).toBe(1);
      expect(stderr.trim().split("\n")).toEqual([expect.stringContaining(`postgres://retivo@127.0.0.1:${port}/retivo`)]);
      expect(stderr).toMatch(/refuses connections/);
      expect(stderr).not.toContain("hunter2secret");
    }
  });

  it("seeds, serves two processes on one database, and audits and lists approvals there", async () => {
    const seeded = await cli(["seed"]);
    expect(seeded.code).toBe(0);
    expect(seeded.stdout + seeded.stderr).toMatch(/planned\s+\d+/);

    const servers: Spawned[] = [];
    let ids: string[] = [];
    try {
      for (const name of ["replica-a", "replica-b"]) servers.push(await spawnServer(dir, { confirmApprovals: true, name, env: { RETIVO_DATABASE_URL: database.url } }));
      const listed = structured(await servers[0]!.call("list_interventions", { status: "planned", limit: 10 }));
      ids = (listed.interventions as { id: string; flagged: boolean }[]).filter((i) => !i.flagged).map((i) => i.id).slice(0, 3);
      expect(ids.length).toBeGreaterThan(0);
      // Both replicas approve the same interventions at once: each is approved once.
      const results = await Promise.all(ids.flatMap((id) => servers.map((s) => s.call("approve_intervention", { intervention_id: id }))));
      expect(results.every((r) => !r.isError || /already|approved|conflict|changed/i.test(JSON.stringify(r.content)))).toBe(true);
      // Approved, and perhaps already sent by one replica's dispatcher (its planned time may have come).
      for (const id of ids) expect(textOf(await servers[1]!.call("get_intervention", { intervention_id: id }))).toMatch(new RegExp(`^${id} (approved|sent|delivered) `));
    } finally {
      for (const server of servers) await server.close();
    }

    const store = await openStore({ dbPath: "", databaseUrl: database.url });
    try {
      for (const id of ids) expect((await store.audit.trail(id)).filter((e) => e.event === "approved")).toHaveLength(1);
    } finally {
      await store.close();
    }
    const audit = await cli(["audit", "verify"]);
    expect([audit.code, audit.stdout]).toEqual([0, expect.stringMatching(/Audit chain intact/)]);
    const approvals = await cli(["approvals", "list"]);
    expect(approvals.code).toBe(0);
  }, 120_000);

  it("serves the REST API from the same database", async () => {
    const key = "rt_live_cli_postgres_key_0123456789";
    const child = spawn(process.execPath, [CLI, "api", "--port", "0", "--host", "127.0.0.1"], { env: env({ RETIVO_API_KEYS: key, LOG_LEVEL: "info" }), stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(stderr);
          if (match) resolve(match[1]!);
        });
        child.once("exit", (code) => reject(new Error(`api exited ${code}: ${stderr}`)));
      });
      const response = await fetch(`${url}/api/interventions?limit=5`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { interventions: unknown[] }).interventions).toHaveLength(5);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }, 60_000);
});
