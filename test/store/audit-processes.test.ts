/**
 * Three processes appending to one PostgreSQL store's audit log at the same
 * moment (replicas and the CLI): one chain, no fork, nothing lost. On the
 * real server when RETIVO_TEST_DATABASE_URL is set, else on PGlite over a
 * socket. The appender is the one the SQLite case uses (test/local).
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "./support/postgres.js";

const APPENDER = resolve(import.meta.dirname, "../local/support/audit-appender.ts");

let database: PostgresTarget;
let store: Store;

beforeAll(async () => {
  database = REAL_SERVER_URL ? await startRealServer(REAL_SERVER_URL) : await startPglite();
  store = await openStore({ dbPath: "", databaseUrl: database.url }); // migrated once, before the writers start
}, 120_000);
afterAll(async () => {
  await store?.close();
  await database?.close();
});

function runAppender(label: string, count: number, startAt: number): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", APPENDER, database.url, label, String(count), String(startAt)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? done() : fail(new Error(`appender ${label} exited ${code}: ${stderr}`))));
  });
}

it("stays one chain when three processes append at the same moment", { timeout: 90_000 }, async () => {
  const perProcess = 100;
  const startAt = Date.now() + 3_000;
  await Promise.all(["replica-a", "replica-b", "cli"].map((label) => runAppender(label, perProcess, startAt)));
  expect(await store.audit.verify()).toEqual({ ok: true, rows: 3 * perProcess });
  const recent = await store.audit.recent(3 * perProcess);
  expect(new Set(recent.map((row) => row.prev_hash)).size).toBe(recent.length);
  for (const label of ["replica-a", "replica-b", "cli"]) expect(recent.filter((row) => row.actor === `system:${label}`)).toHaveLength(perProcess);
});
