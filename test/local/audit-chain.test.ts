/**
 * The hash-chained audit log under two writers and after truncation: processes
 * appending to one file at the same moment keep one unbroken chain, and
 * `verifyAuditChain` notices rows cut off the end of the log.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";
import { appendAudit } from "../../src/store/ops/audit.js";
import { openSqliteEngine } from "../../src/store/sqlite/engine.js";
import { dbOf } from "../support/sqlite.js";

const APPENDER = resolve(import.meta.dirname, "support/audit-appender.ts");
const dirs: string[] = [];
const open: Store[] = [];

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "retivo-audit-"));
  dirs.push(dir);
  return join(dir, "retivo.db");
}

async function store(path: string): Promise<Store> {
  const opened = await openStore({ dbPath: path });
  open.push(opened);
  return opened;
}

function runAppender(path: string, label: string, count: number, startAt: number): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", APPENDER, path, label, String(count), String(startAt)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? done() : fail(new Error(`appender ${label} exited ${code}: ${stderr}`))));
  });
}

const event = (actor: string, i: number) => ({ tenant_id: "live", event: "approval_refused", actor, detail: { i } });

describe("audit chain", () => {
  it("stays one chain when two processes append at the same moment outside any transaction", { timeout: 60_000 }, async () => {
    const path = freshFile();
    const db = await store(path); // migrated once, before the writers start
    const perProcess = 300;
    const startAt = Date.now() + 2_000;
    await Promise.all([runAppender(path, "cli", perProcess, startAt), runAppender(path, "server", perProcess, startAt)]);

    const verdict = await db.audit.verify();
    expect(verdict).toEqual({ ok: true, rows: 2 * perProcess });
    const forks = dbOf(db).prepare("SELECT COUNT(*) FROM (SELECT prev_hash FROM audit_log GROUP BY prev_hash HAVING COUNT(*) > 1)").pluck().get();
    expect(forks).toBe(0);
  });

  it("interleaves two connections on one file into one chain, and joins the change's transaction", async () => {
    const path = freshFile();
    const [a, b] = [await store(path), await store(path)];
    for (let i = 0; i < 200; i++) {
      await a.audit.append(event("system:a", i));
      await b.audit.append(event("system:b", i));
    }
    // Inside a change's transaction the append is part of it: rolled back with it, head included.
    const engine = openSqliteEngine(path);
    await expect(
      engine.write(async (tx) => {
        await appendAudit(tx, event("system:a", -1));
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    await engine.close();
    expect(await a.audit.verify()).toEqual({ ok: true, rows: 400 });
    expect(await b.audit.verify()).toEqual({ ok: true, rows: 400 });
  });

  it("finds rows cut off the end of the log", async () => {
    const db = await store(freshFile());
    for (let i = 0; i < 10; i++) await db.audit.append(event("system:test", i));
    expect(await db.audit.verify()).toEqual({ ok: true, rows: 10 });

    // Someone with write access drops the no-delete trigger and removes the last three events.
    dbOf(db).exec("DROP TRIGGER audit_log_no_delete");
    dbOf(db).prepare("DELETE FROM audit_log WHERE seq > 7").run();
    const verdict = await db.audit.verify();
    expect(verdict).toMatchObject({ ok: false, rows: 7, brokenAt: 8 });
    expect(verdict.ok || verdict.why).toMatch(/last 3 row\(s\) were removed/);
  });

  it("keeps its head forward-only and undeletable, and verifies an empty log", async () => {
    const db = await store(freshFile());
    expect(await db.audit.verify()).toEqual({ ok: true, rows: 0 });
    await db.audit.append(event("system:test", 0));
    expect(() => dbOf(db).prepare("UPDATE audit_head SET seq = 0").run()).toThrow(/only moves forward/);
    expect(() => dbOf(db).prepare("DELETE FROM audit_head").run()).toThrow(/cannot be deleted/);
    expect(await db.audit.verify()).toEqual({ ok: true, rows: 1 });
  });
});
