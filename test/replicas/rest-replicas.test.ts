/**
 * Two `retivo-mcp api` processes on one PostgreSQL store, as behind one
 * balancer: a key's rate limit is one budget across both (not twice it), and
 * an Idempotency-Key sent to one and repeated to the other makes one
 * intervention. Real processes over loopback.
 *
 * PostgreSQL: the real server when RETIVO_TEST_DATABASE_URL is set (a
 * database of its own, dropped after), else PGlite over a loopback socket.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { CLI } from "../reliability/support/spawned.js";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "../store/support/postgres.js";
import { freePort } from "../support/ports.js";

const KEY = "rt_test_replicas0000000000000000rest";
/** Another key, with a budget of its own, for the create case. */
const CREATE_KEY = "rt_test_replicas00000000000000create";
const RATE = 6;

let database: PostgresTarget;
let dir: string;
const apis: { url: string; stop: () => Promise<void> }[] = [];

async function startApi(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "api", "--host", "127.0.0.1", "--port", String(port)], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/api/openapi.json`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`api did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const call = (url: string, path: string, init: RequestInit = {}, key = KEY) =>
  fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });

beforeAll(async () => {
  database = REAL_SERVER_URL ? await startRealServer(REAL_SERVER_URL) : await startPglite();
  dir = mkdtempSync(join(tmpdir(), "retivo-rest-replicas-"));
  const env = { HOME: dir, RETIVO_DATA_DIR: dir, RETIVO_DATABASE_URL: database.url, RETIVO_DATABASE_POOL_SIZE: "3", RETIVO_LLM: "template", LOG_LEVEL: "error", RETIVO_API_KEYS: `${KEY},${CREATE_KEY}` };
  // One after the other: the first seeds the empty store.
  apis.push(await startApi({ ...env, RETIVO_API_RATE_PER_MINUTE: String(RATE) }));
  apis.push(await startApi({ ...env, RETIVO_API_RATE_PER_MINUTE: String(RATE) }));
}, 120_000);

afterAll(async () => {
  for (const api of apis) await api.stop();
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("two REST API processes on one store", () => {
  it("share each key's rate limit: of 12 requests spread over both, exactly the key's budget passes", async () => {
    const statuses: number[] = [];
    let retryAfter = "";
    for (let i = 0; i < 12; i++) {
      const response = await call(apis[i % 2]!.url, "/api/interventions?limit=1");
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get("retry-after") ?? "";
      await response.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(RATE);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - RATE);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it("make one intervention for one Idempotency-Key sent to one and repeated to the other", async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ user_id: string; playbook_id: string; constraints: string }>(
        `SELECT c.id AS user_id, p.id AS playbook_id, p.constraints FROM customers c JOIN playbooks p ON p.tenant_id = c.tenant_id
         WHERE c.tenant_id = 'test' AND c.opted_out = 0 AND c.paused = 0 AND p.status = 'active' ORDER BY c.id, p.id LIMIT 1`,
      );
      const { user_id, playbook_id, constraints } = rows[0]!;
      const body = JSON.stringify({ user_id, playbook_id, channel: (JSON.parse(constraints) as { channels: string[] }).channels[0] });
      const first = await call(apis[0]!.url, "/api/interventions", { method: "POST", body, headers: { "idempotency-key": "replicas-one-create" } }, CREATE_KEY);
      const again = await call(apis[1]!.url, "/api/interventions", { method: "POST", body, headers: { "idempotency-key": "replicas-one-create" } }, CREATE_KEY);
      const [a, b] = [(await first.json()) as { id: string }, (await again.json()) as { id: string }];
      expect([first.status, again.status, again.headers.get("idempotent-replayed")]).toEqual([201, 201, "true"]);
      expect(b.id).toBe(a.id);
      expect((await client.query("SELECT COUNT(*)::int AS n FROM audit_log WHERE intervention_id = $1 AND event = 'created'", [a.id])).rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
  });
});
