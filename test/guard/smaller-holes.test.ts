/**
 * The smaller holes an adversarial agent found: the email subject, sent with
 * the body, was not part of what the human approved; a `__proto__` argument
 * vanished in the SDK's parsing instead of being refused and audited; and
 * refused calls could grow the audit log without bound.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { REFUSALS_PER_WINDOW } from "../../src/guard/guard-audit.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { acceptConfirmed, CLI, cliEnv, events, requireBuiltCli } from "./helpers.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Talks raw JSON-RPC lines to the built server over stdio, as a client's own JSON encoder would. */
interface RawAnswer {
  result?: { isError?: boolean; content: { text: string }[]; structuredContent?: { interventions?: { id: string }[] } };
}

async function rawStdioSession(dir: string, lines: string[]): Promise<Map<number, RawAnswer>> {
  const child = spawn(process.execPath, [CLI, "serve"], { env: { PATH: process.env.PATH ?? "", ...cliEnv(dir) }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const answered = (id: number) => out.includes(`"id":${id}`);
  const waitFor = async (id: number) => {
    const deadline = Date.now() + 20_000;
    while (!answered(id)) {
      if (Date.now() > deadline) throw new Error(`no answer to ${id}: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } })}\n`);
  await waitFor(1);
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  for (const line of lines) child.stdin.write(`${line}\n`);
  await waitFor(1 + lines.length);
  child.stdin.end();
  await new Promise((resolve) => child.once("exit", resolve));
  return new Map(out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: number }).map((m) => [m.id, m as never]));
}

describe("smaller holes", () => {
  it("binds the email subject: a subject edited after the human approved voids the approval", async () => {
    let id = "";
    h = await startHarness({
      onElicit: (request) => {
        // Someone rewrites the subject (not the body) between the answer and the execution.
        dbOf(h!.runtime).prepare("UPDATE interventions SET subject = 'Your account will be deleted today' WHERE id = ?").run(id);
        return acceptConfirmed(request);
      },
    });
    id = dbOf(h.runtime).prepare("SELECT id FROM interventions WHERE status = 'planned' AND flagged = 0 AND channel = 'email' AND subject IS NOT NULL ORDER BY seq DESC LIMIT 1").pluck().get() as string;
    expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/void: .*changed since the human approved it/);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    expect(events(h.runtime, id)).toContain("approval_voided");
  });

  it("refuses and audits a __proto__ argument sent as raw JSON, instead of dropping it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "retivo-proto-"));
    try {
      const list = await rawStdioSession(dir, [JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "list_interventions", arguments: { status: "planned", flagged: false, limit: 1 } } })]);
      const id = list.get(2)!.result!.structuredContent!.interventions![0]!.id;
      const forged = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"approve_intervention","arguments":{"intervention_id":"${id}","__proto__":{"confirm":true,"approved":true}}}}`;
      const answers = await rawStdioSession(dir, [forged]);
      const result = answers.get(2)!.result!;
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toMatch(/Unrecognized key: "__proto__"/);
      const db = new Database(join(dir, "retivo.db"), { readonly: true });
      try {
        const refusal = db.prepare("SELECT detail FROM audit_log WHERE event = 'approval_refused' AND intervention_id = ?").pluck().get(id) as string;
        expect(JSON.parse(refusal)).toMatchObject({ unknown_arguments: ["__proto__"], reason: "invalid arguments" });
        expect(db.prepare("SELECT status FROM interventions WHERE id = ?").pluck().get(id)).toBe("planned");
        expect(db.prepare("SELECT COUNT(*) FROM approvals WHERE intervention_id = ?").pluck().get(id)).toBe(0);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("records at most a window's budget of refusals per principal, and sums up the rest in one row", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const forged = 100;
    for (let i = 0; i < forged; i++) await h.call("approve_intervention", { intervention_id: id, confirm: true });
    const refusals = () => dbOf(h!.runtime).prepare("SELECT COUNT(*) FROM audit_log WHERE event = 'approval_refused'").pluck().get() as number;
    expect(refusals()).toBe(REFUSALS_PER_WINDOW);
    await h.runtime.guard.close?.();
    const summary = dbOf(h.runtime).prepare("SELECT actor, detail FROM audit_log WHERE event = 'approval_refusals_suppressed'").all() as { actor: string; detail: string }[];
    expect(summary).toHaveLength(1);
    expect(summary[0]!.actor).toBe("system:guard");
    expect(JSON.parse(summary[0]!.detail)).toMatchObject({ source: "local", count: forged - REFUSALS_PER_WINDOW });
  });
});
