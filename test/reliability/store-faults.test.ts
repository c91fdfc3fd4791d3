/**
 * Faults of the store that the operator can fix: a read-only database file,
 * a read-only folder, a damaged file, a full disk. The operator gets one line
 * naming the file and the cause (no stack), the agent a result saying the
 * store cannot be written, and a failed start leaves no sidecar files behind
 * that would keep failing once the permission is fixed.
 *
 * Permissions mean nothing to root, so when the suite runs as root the built
 * CLI is started without the capabilities that override them (setpriv drops
 * CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER). It stays root, so it
 * can still reach a checkout inside a private temporary folder, as in CI.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { parseConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { openRuntime, type Runtime } from "../../src/runtime.js";
import { startHarness, seededId, storedStatus, type Harness } from "../support/harness.js";
import { CLI } from "./support/spawned.js";
import { dbOf } from "../support/sqlite.js";

const asRoot = process.getuid?.() === 0;
const DROPPED = "-dac_override,-dac_read_search,-fowner";
/** How the CLI is started: as root, without the capabilities that ignore permissions. */
function cli(...args: string[]): [string, string[]] {
  if (!asRoot) return [process.execPath, [CLI, ...args]];
  return ["setpriv", [`--inh-caps=${DROPPED}`, `--bounding-set=${DROPPED}`, process.execPath, CLI, ...args]];
}

const dirs: string[] = [];
function runnerDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "retivo-faults-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

function envFor(dir: string, db: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dir, RETIVO_DATA_DIR: dir, RETIVO_DB: db, RETIVO_LLM: "template", LOG_LEVEL: "error" };
}

function seed(dir: string, db: string): void {
  const seeded = spawnSync(...cli("seed"), { env: envFor(dir, db), encoding: "utf8" });
  expect(seeded.status, seeded.stderr).toBe(0);
}

/** Starts `serve` on stdio, asks for the interventions, and reports how it ended (or that it kept serving). */
function serveOnce(dir: string, db: string): Promise<{ code: number | null; stderr: string; answered: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(...cli("serve"), { env: envFor(dir, db), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let answered = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('"id":2')) {
        answered = true;
        child.stdin.end();
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, answered });
    });
    child.stdin.on("error", () => {});
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "faults", version: "1" } } })}\n` +
        `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n` +
        `${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "pause_intervention", arguments: { intervention_id: "int_nonexistent00000000" } } })}\n`,
    );
  });
}

/** The operator's view: one line, naming the file and the cause, no stack frames. */
function expectOneLine(stderr: string, file: string, cause: RegExp): void {
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(cause);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("a store the operator must fix, at start", () => {
  it("a read-only database file: one line, exit 1, no sidecar left; starts once fixed", async () => {
    const dir = runnerDir();
    const db = join(dir, "retivo.db");
    seed(dir, db);
    chmodSync(db, 0o444);
    const failed = await serveOnce(dir, db);
    expect(failed.code).toBe(1);
    expectOneLine(failed.stderr, db, /read-only/);
    expect(readdirSync(dir).sort()).toEqual(["retivo.db"]);

    chmodSync(db, 0o644);
    const fixed = await serveOnce(dir, db);
    expect(fixed.answered, fixed.stderr).toBe(true);
  });

  it("a read-only folder: one line, exit 1; starts once fixed", async () => {
    const dir = runnerDir();
    const db = join(dir, "retivo.db");
    seed(dir, db);
    chmodSync(dir, 0o555);
    const failed = await serveOnce(dir, db);
    chmodSync(dir, 0o755);
    expect(failed.code).toBe(1);
    expectOneLine(failed.stderr, db, /read-only|cannot be opened/);
    expect(readdirSync(dir).sort()).toEqual(["retivo.db"]);
    expect((await serveOnce(dir, db)).answered).toBe(true);
  });

  it("a damaged file: one line naming it, exit 1, the file left as it was", async () => {
    const dir = runnerDir();
    const db = join(dir, "retivo.db");
    writeFileSync(db, Buffer.alloc(8192, 0x5a));
    const failed = await serveOnce(dir, db);
    expect(failed.code).toBe(1);
    expectOneLine(failed.stderr, db, /not a SQLite database/);
    expect(readdirSync(dir).sort()).toEqual(["retivo.db"]);
  });

  it("openStore itself names the file and the cause, and leaves no sidecar", async () => {
    const dir = runnerDir();
    const db = join(dir, "broken.db");
    writeFileSync(db, "not a database at all, just text ".repeat(200));
    await expect(openStore({ dbPath: db })).rejects.toThrow(/The store cannot be written: .*broken\.db: it is not a SQLite database/);
    expect(existsSync(`${db}-wal`) || existsSync(`${db}-shm`)).toBe(false);
  });
});

describe("a store that stops being writable while serving", () => {
  let h: Harness;
  let logs = "";
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  let runtime: Runtime | undefined;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterEach(() => {
    dbOf(h.runtime).pragma("query_only = OFF");
  });
  afterAll(async () => {
    await runtime?.close();
    await h.close();
  });

  it("tells the agent the store cannot be written (not 'retry once'), and changes nothing", async () => {
    const id = seededId(h.runtime, "planned");
    const before = storedStatus(h.runtime, id);
    dbOf(h.runtime).pragma("query_only = ON"); // SQLite refuses every write, as for a read-only file
    const text = await h.fails("pause_intervention", { intervention_id: id });
    expect(text).toMatch(/The store cannot be written: .*retivo\.db: the file or its folder is read-only/);
    expect(text).toMatch(/operator/);
    expect(text).not.toMatch(/unexpectedly|Retry once/);
    dbOf(h.runtime).pragma("query_only = OFF");
    expect(storedStatus(h.runtime, id)).toEqual(before);
  });

  it("a full disk: the agent hears it, the operator gets one log line without a stack", async () => {
    const dir = runnerDir();
    const config = parseConfig(["serve"], { RETIVO_DB: join(dir, "full.db"), RETIVO_DATA_DIR: dir, RETIVO_LLM: "template", HOME: dir });
    runtime = await openRuntime(config, createLogger("info", logStream), { startDispatcher: false });
    // SQLite's own page cap: the file cannot grow, exactly as on a full disk.
    dbOf(runtime).pragma(`max_page_count = ${dbOf(runtime).pragma("page_count", { simple: true }) as number}`);
    const server = runtime.newServer();
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const { InMemoryTransport } = await import("@modelcontextprotocol/sdk/inMemory.js");
    const client = new Client({ name: "full-disk", version: "1" });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(b), client.connect(a)]);
    const planned = dbOf(runtime).prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = 'planned'").pluck().all() as string[];
    let refusal: string | undefined;
    for (const id of planned) {
      const result = await client.callTool({ name: "flag_intervention", arguments: { intervention_id: id, reason: "x".repeat(1500) } });
      if (result.isError) {
        refusal = (result.content as { text: string }[])[0]!.text;
        break;
      }
    }
    await client.close();
    expect(refusal).toMatch(/The store cannot be written: .*full\.db: the disk is full \(SQLITE_FULL\)/);
    const line = logs.split("\n").find((l) => l.includes("SQLITE_FULL"));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 50, msg: expect.stringContaining("full.db") });
    expect(line).not.toMatch(/"stack"/);
  });
});
