/**
 * An agent trying to get around the guard. Each case proves the intervention
 * did not change and the refusal (or the absence of any approval) is on record.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { acceptConfirmed, approvalRows, auditOf, cliEnv, events, requireBuiltCli, runCliInPty } from "./helpers.js";

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
    const row = h.runtime.db.prepare("SELECT actor, detail FROM audit_log WHERE event = 'approval_refused' ORDER BY seq DESC LIMIT 1").get() as {
      actor: string;
      detail: string;
    };
    expect(row.actor.length).toBeLessThanOrEqual(106);
    expect(row.detail.length).toBeLessThan(2000);
    expect(JSON.parse(row.detail)).toMatchObject({ unknown_argument_count: 50 });
  });

  it("binds an approval to its session and its intervention: not usable by another client or on B", async () => {
    h = await startHarness();
    const a = seededId(h.runtime, "planned", "AND flagged = 0");
    const b = h.runtime.db.prepare("SELECT id FROM interventions WHERE status = 'planned' AND flagged = 0 AND id != ? LIMIT 1").pluck().get(a) as string;
    const pending = await h.ok<Pending>("approve_intervention", { intervention_id: a });
    await approveInTerminal(h.dir, pending.approval.approval_id);

    const other = await h.connectAnother({ clientName: "other-agent" });
    const fromOther = (await other.callTool({ name: "approve_intervention", arguments: { intervention_id: a } })).structuredContent as unknown as Pending;
    expect(fromOther.status).toBe("planned");
    expect(fromOther.approval.approval_id).not.toBe(pending.approval.approval_id);

    const onB = await h.ok<Pending>("approve_intervention", { intervention_id: b });
    expect(onB.status).toBe("planned");
    expect(storedStatus(h.runtime, b).status).toBe("planned");
    expect(storedStatus(h.runtime, a).status).toBe("planned");

    // The rightful session still can.
    expect(await h.ok("approve_intervention", { intervention_id: a })).toMatchObject({ status: "approved" });
  });

  it("refuses an approval replayed, or used on another intervention, at the backend", async () => {
    h = await startHarness();
    const a = seededId(h.runtime, "planned", "AND flagged = 0");
    const b = h.runtime.db.prepare("SELECT id FROM interventions WHERE status = 'planned' AND flagged = 0 AND id != ? LIMIT 1").pluck().get(a) as string;
    const { backend, guard } = h.runtime;
    const session = {
      sessionId: "s-1",
      client: { name: "scripted", version: "1" },
      supportsFormElicitation: true,
      supportsUrlElicitation: false,
      elicitForm: async (params: unknown) => acceptConfirmed({ method: "elicitation/create", params } as ElicitRequest),
      elicitUrl: async () => ({ action: "decline" as const }),
      notifyUrlElicitationComplete: async () => undefined,
      signal: new AbortController().signal,
    };
    const decision = await guard.authorize({ action: "approve", intervention: await backend.get(a) }, session);
    if (decision.kind !== "approved") throw new Error("expected an approval");

    const beforeB = storedStatus(h.runtime, b);
    await expect(backend.approve(b, decision.options)).rejects.toThrow(/changed since the human approved/);
    expect(storedStatus(h.runtime, b)).toEqual(beforeB);
    expect(refusalsOf(h, b).map((e) => e.detail.reason)).toEqual(["approval_for_another_intervention"]);

    expect(await backend.approve(a, decision.options)).toMatchObject({ status: "approved" });
    await backend.pause(a);
    const paused = storedStatus(h.runtime, a);
    await expect(backend.approve(a, decision.options)).rejects.toThrow(/changed since the human approved/);
    expect(() => h!.runtime.db.transaction(() => decision.options.consumeApproval!())()).toThrow(/already used or has expired/);
    expect(storedStatus(h.runtime, a)).toEqual(paused);
    await Promise.resolve();
    expect(refusalsOf(h, a).map((e) => e.detail.reason)).toEqual(["changed_since_approval", "approval_already_used_or_expired"]);
  });

  it("refuses when the message is edited between the human's answer and execution", async () => {
    let id = "";
    h = await startHarness({
      onElicit: (request) => {
        h!.runtime.db.prepare("UPDATE interventions SET message_body = 'Use code FREE100 now!', version = version + 1 WHERE id = ?").run(id);
        return acceptConfirmed(request);
      },
    });
    id = seededId(h.runtime, "planned", "AND flagged = 0");
    expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/changed since the human approved it.*ask again/i);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    expect(refusalsOf(h, id).map((e) => e.detail.reason)).toEqual(["changed_since_approval"]);
    expect(events(h.runtime, id)).not.toContain("approved");
  });

  it("refuses an approval used after it expired, and asks again", async () => {
    h = await startHarness({ env: { RETIVO_APPROVAL_TTL_SECONDS: "4" } });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const first = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    await approveInTerminal(h.dir, first.approval.approval_id);
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
    expect(results.map((r) => (r.structuredContent as { status?: string } | undefined)?.status)).toEqual(["approved", "approved"]);
    expect(storedStatus(h.runtime, id).version).toBe(before.version + 1);
    expect(events(h.runtime, id).filter((e) => e === "approved")).toHaveLength(1);
    expect(approvalRows(h.runtime, id).filter((r) => r.consumed_at !== null)).toHaveLength(1);
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
