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
import { appendAudit, verifyAuditChain } from "../../src/backend/local/audit.js";
import { openStore, type Db } from "../../src/backend/local/store.js";

const APPENDER = resolve(import.meta.dirname, "support/audit-appender.ts");
const dirs: string[] = [];
const open: Db[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "retivo-audit-"));
  dirs.push(dir);
  return join(dir, "retivo.db");
}

function store(path: string): Db {
  const db = openStore(path);
  open.push(db);
  return db;
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
    const db = store(path); // migrated once, before the writers start
    const perProcess = 300;
    const startAt = Date.now() + 2_000;
    await Promise.all([runAppender(path, "cli", perProcess, startAt), runAppender(path, "server", perProcess, startAt)]);

    const verdict = verifyAuditChain(db);
    expect(verdict).toEqual({ ok: true, rows: 2 * perProcess });
    const forks = db.prepare("SELECT COUNT(*) FROM (SELECT prev_hash FROM audit_log GROUP BY prev_hash HAVING COUNT(*) > 1)").pluck().get();
    expect(forks).toBe(0);
  });

  it("interleaves two connections on one file into one chain, and joins the caller's transaction", () => {
    const path = freshFile();
    const [a, b] = [store(path), store(path)];
    for (let i = 0; i < 200; i++) {
      appendAudit(a, event("system:a", i));
      appendAudit(b, event("system:b", i));
    }
    // Inside a transaction the append is part of it: rolled back with it, head included.
    expect(() =>
      a.transaction(() => {
        appendAudit(a, event("system:a", -1));
        throw new Error("the change failed");
      }).immediate(),
    ).toThrow("the change failed");
    expect(verifyAuditChain(a)).toEqual({ ok: true, rows: 400 });
    expect(verifyAuditChain(b)).toEqual({ ok: true, rows: 400 });
  });

  it("finds rows cut off the end of the log", () => {
    const db = store(freshFile());
    for (let i = 0; i < 10; i++) appendAudit(db, event("system:test", i));
    expect(verifyAuditChain(db)).toEqual({ ok: true, rows: 10 });

    // Someone with write access drops the no-delete trigger and removes the last three events.
    db.exec("DROP TRIGGER audit_log_no_delete");
    db.prepare("DELETE FROM audit_log WHERE seq > 7").run();
    const verdict = verifyAuditChain(db);
    expect(verdict).toMatchObject({ ok: false, rows: 7, brokenAt: 8 });
    expect(verdict.ok || verdict.why).toMatch(/last 3 row\(s\) were removed/);
  });

  it("keeps its head forward-only and undeletable, and verifies an empty log", () => {
    const db = store(freshFile());
    expect(verifyAuditChain(db)).toEqual({ ok: true, rows: 0 });
    appendAudit(db, event("system:test", 0));
    expect(() => db.prepare("UPDATE audit_head SET seq = 0").run()).toThrow(/only moves forward/);
    expect(() => db.prepare("DELETE FROM audit_head").run()).toThrow(/cannot be deleted/);
    expect(verifyAuditChain(db)).toEqual({ ok: true, rows: 1 });
  });
});
