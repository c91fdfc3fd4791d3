/**
 * An agent trying to get around the guard. Each case proves the intervention
 * did not change and the refusal (or the absence of any approval) is on record.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { answerApproval } from "../../src/guard/human-answer.js";
import { createReleaser } from "../../src/guard/release.js";
import { silentLogger } from "../../src/log.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { acceptConfirmed, approvalRows, auditOf, cliEnv, events, requireBuiltCli, runCliInPty } from "./helpers.js";
import { dbOf } from "../support/sqlite.js";

interface Pending {
  status: string;
  approval: { approval_id: string; expires_at: string };
}

let h: Harness | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const refusalsOf = (harness: Harness, id: string) => auditOf(harness.runtime, id).filter((e) => e.event === "approval_refused");

async function approveInTerminal(dir: string, approvalId: string): Promise<void> {
  const { code, output } = await runCliInPty(`approvals approve ${approvalId}`, cliEnv(dir), [
    { expect: /\[y\/N\] $/, send: "y\r" },
    { expect: /Note.*: $/, send: "\r" },
  ]);
  expect(code, output).toBe(0);
}

describe("approval is never taken from the agent", () => {
  it("refuses confirm, approved, token, approver and approval_id arguments, even a real approval id", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, id);
    const pending = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    const stolen = pending.approval.approval_id;
    for (const forged of [{ confirm: true }, { approved: "yes" }, { token: "abc123" }, { approver: "human:cli" }, { approval_id: "apr_madeup" }, { approval_id: stolen }]) {
      const result = await h.call("approve_intervention", { intervention_id: id, ...forged });
      expect(result.isError, JSON.stringify(forged)).toBe(true);
    }
    expect(storedStatus(h.runtime, id)).toEqual(before);
    // No argument ever reached the guard: one request, still pending, never answered…
    expect(approvalRows(h.runtime, id).map((r) => r.status)).toEqual(["pending"]);
    // …and every attempt is on record with the argument it tried.
    expect(events(h.runtime, id)).toEqual(["approval_requested", ...Array(6).fill("approval_refused")]);
    const tried = refusalsOf(h, id).map((e) => (e.detail.unknown_arguments as string[])[0]);
    expect(tried).toEqual(["confirm", "approved", "token", "approver", "approval_id", "approval_id"]);
  });

  it("keeps refused-argument audits small, whatever the agent sends", async () => {
    h = await startHarness({ clientName: "c".repeat(50_000) });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const forged: Record<string, unknown> = { intervention_id: id };
    for (let i = 0; i < 50; i++) forged[`${"k".repeat(10_000)}${i}`] = true;
    const result = await h.call("approve_intervention", forged);
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content).length).toBeLessThan(3000);
    const row = dbOf(h.runtime).prepare("SELECT actor, detail FROM audit_log WHERE event = 'approval_refused' ORDER BY seq DESC LIMIT 1").get() as {
      actor: string;
      detail: string;
    };
    expect(row.actor.length).toBeLessThanOrEqual(106);
    expect(row.detail.length).toBeLessThan(2000);
    expect(JSON.parse(row.detail)).toMatchObject({ unknown_argument_count: 50 });
  });

  it("binds a request to its intervention and principal: a client of the same principal finds it, B never moves", async () => {
    h = await startHarness();
    const a = seededId(h.runtime, "planned", "AND flagged = 0");
    const b = dbOf(h.runtime).prepare("SELECT id FROM interventions WHERE status = 'planned' AND flagged = 0 AND id != ? LIMIT 1").pluck().get(a) as string;
    const pending = await h.ok<Pending>("approve_intervention", { intervention_id: a });

    // Another client of this store (a restarted IDE, a new process) finds the same request, not a new one.
    const other = await h.connectAnother({ clientName: "other-agent" });
    const fromOther = (await other.callTool({ name: "approve_intervention", arguments: { intervention_id: a } })).structuredContent as unknown as Pending;
    expect(fromOther.approval.approval_id).toBe(pending.approval.approval_id);

    await approveInTerminal(h.dir, pending.approval.approval_id);
    expect(storedStatus(h.runtime, a).status).toBe("approved");
    // The human approved A, nothing else: B asks its own question and stays planned.
    const onB = await h.ok<Pending>("approve_intervention", { intervention_id: b });
    expect(onB.status).toBe("planned");
    expect(onB.approval.approval_id).not.toBe(pending.approval.approval_id);
    expect(storedStatus(h.runtime, b).status).toBe("planned");
    expect(await h.ok("approve_intervention", { intervention_id: a })).toEqual({ id: a, status: "approved" });
  });

  it("executes an approval once: a replay, or one for a version that moved on, changes nothing", async () => {
    h = await startHarness({ onElicit: acceptConfirmed, overrides: { startReleaseLoop: false } });
    const a = seededId(h.runtime, "planned", "AND flagged = 0");
    expect(await h.ok("approve_intervention", { intervention_id: a })).toEqual({ id: a, status: "approved" });
    const [executed] = approvalRows(h.runtime, a);
    expect(executed).toMatchObject({ status: "executed" });
    const releaser = createReleaser({ store: h.runtime.store, executor: h.runtime.backend, backendId: "local", logger: silentLogger() });

    await h.runtime.backend.pause(a);
    const paused = storedStatus(h.runtime, a);
    // Replayed after the intervention moved on: the spent request cannot release it again.
    expect((await releaser.release(executed!.id)).kind).toBe("not_approved");
    expect(storedStatus(h.runtime, a)).toEqual(paused);

    // An approved-but-unspent request whose intervention changed since is voided, never executed.
    const asked = await startHarness({ overrides: { startReleaseLoop: false } });
    try {
      const id = seededId(asked.runtime, "planned", "AND flagged = 0");
      const { approval } = await asked.ok<Pending>("approve_intervention", { intervention_id: id });
      await answerApproval(asked.runtime.store, approval.approval_id, { approve: true, via: "cli", answer: "approve" });
      await asked.runtime.backend.flag(id, "customer complained meanwhile");
      const outcome = await createReleaser({ store: asked.runtime.store, executor: asked.runtime.backend, backendId: "local", logger: silentLogger() }).release(approval.approval_id);
      expect(outcome).toMatchObject({ kind: "void", why: expect.stringMatching(/changed since the human approved it/) });
      expect(storedStatus(asked.runtime, id).status).toBe("planned");
      expect(events(asked.runtime, id)).toContain("approval_voided");
      expect(events(asked.runtime, id)).not.toContain("approval_executed");
    } finally {
      await asked.close();
    }
  });

  it("refuses when the message is edited between the human's answer and execution", async () => {
    let id = "";
    h = await startHarness({
      onElicit: (request) => {
        dbOf(h!.runtime).prepare("UPDATE interventions SET message_body = 'Use code FREE100 now!', version = version + 1 WHERE id = ?").run(id);
        return acceptConfirmed(request);
      },
    });
    id = seededId(h.runtime, "planned", "AND flagged = 0");
    expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/void: .*changed since the human approved it.*Nothing changed.*asked about the current version/i);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    expect(events(h.runtime, id)).toContain("approval_voided");
    expect(events(h.runtime, id)).not.toContain("approved");
  });

  it("never executes an approval after it expired, and asks again", async () => {
    h = await startHarness({ env: { RETIVO_APPROVAL_TTL_SECONDS: "4" }, overrides: { startReleaseLoop: false } });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const first = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    await answerApproval(h.runtime.store, first.approval.approval_id, { approve: true, via: "cli", answer: "approve" });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(first.approval.expires_at) - Date.now() + 50)));
    const second = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    expect(second.status).toBe("planned");
    expect(second.approval.approval_id).not.toBe(first.approval.approval_id);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    expect(events(h.runtime, id)).toContain("approval_expired");
  });

  it("lets exactly one of two concurrent approvals execute", async () => {
    h = await startHarness({ onElicit: acceptConfirmed });
    const second = await h.connectAnother({ onElicit: acceptConfirmed, clientName: "second-agent" });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, id);
    const results = await Promise.all([
      h.call("approve_intervention", { intervention_id: id }),
      second.callTool({ name: "approve_intervention", arguments: { intervention_id: id } }),
    ]);
    expect(results.map((r) => (r.structuredContent as { status?: string } | undefined)?.status), JSON.stringify(results)).toEqual(["approved", "approved"]);
    expect(storedStatus(h.runtime, id).version).toBe(before.version + 1);
    expect(events(h.runtime, id).filter((e) => e === "approved")).toHaveLength(1);
    expect(approvalRows(h.runtime, id).filter((r) => r.status === "executed")).toHaveLength(1);
  });

  it("with RETIVO_APPROVAL=deny, refuses without asking and points the human elsewhere", async () => {
    let asked = 0;
    h = await startHarness({ env: { RETIVO_APPROVAL: "deny" }, onElicit: (request) => (asked++, acceptConfirmed(request)) });
    const id = seededId(h.runtime, "delivered");
    const before = storedStatus(h.runtime, id);
    expect(await h.fails("rollback_intervention", { intervention_id: id })).toMatch(/RETIVO_APPROVAL=deny.*REST server/);
    expect(asked).toBe(0);
    expect(storedStatus(h.runtime, id)).toEqual(before);
    expect(events(h.runtime, id)).toEqual(["approval_refused"]);
  });
});
