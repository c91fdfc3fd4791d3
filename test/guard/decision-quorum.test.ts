/**
 * The one decision function every channel calls (guard/decision.ts), on the
 * server's own SQLite file: a real MCP client asks for an approval under a
 * policy needing two of three operators with the requester's own barred, and
 * each decision is recorded straight through recordOperatorDecision, as the
 * page, the CLI and the webhook hand it over once they have vouched for the
 * operator. What is asserted is what the store and the audit log then hold.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { recordOperatorDecision, type OperatorDecision } from "../../src/guard/decision.js";
import { openStore } from "../../src/store/index.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { auditOf } from "./helpers.js";

interface Pending {
  approval: { approval_id: string };
}

const NOW = () => new Date();
const OPERATORS = ["alice", "bob", "carol"];
const TWO_BESIDES_CAROL = {
  principals: { local: "carol" },
  rules: [{ name: "two of three", match: {}, require: 2, requester_may_approve: false }],
};

let h: Harness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A server whose store already holds alice, bob and carol (or no operators), with the policy above or none. */
async function start(team: boolean, withPolicy = team): Promise<Harness> {
  dir = mkdtempSync(join(tmpdir(), "retivo-decision-"));
  const db = join(dir, "retivo.db");
  const env: Record<string, string> = { RETIVO_DB: db, RETIVO_DATA_DIR: dir };
  if (team) {
    const store = await openStore({ dbPath: db });
    try {
      for (const name of OPERATORS) {
        await store.operators.add(
          { name, passphrase: "scrypt$unused", principal: null, created_at: new Date().toISOString() },
          { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } },
        );
      }
    } finally {
      await store.close();
    }
  }
  if (withPolicy) {
    const policy = join(dir, "policy.json");
    writeFileSync(policy, JSON.stringify(TWO_BESIDES_CAROL));
    env.RETIVO_POLICY = policy;
  }
  return startHarness({ env });
}

async function pendingFor(id: string): Promise<string> {
  const { approval } = await h!.ok<Pending>("approve_intervention", { intervention_id: id });
  return approval.approval_id;
}

function decide(approvalId: string, fields: Partial<OperatorDecision>) {
  return recordOperatorDecision(h!.runtime.store, { approvalId, operator: "alice", answer: "approve", channel: "page", vouchedBy: "passphrase", now: NOW(), ...fields });
}

const answered = (id: string) => auditOf(h!.runtime, id).filter((entry) => entry.event === "approval_answered");

/** An answer's own part of its audit detail: what every guard event says about the request is left out. */
function decisionPart(detail: Record<string, unknown>): Record<string, unknown> {
  const { action: _action, action_hash: _hash, approval_id: _id, channel: _channel, client: _client, ...own } = detail;
  return own;
}

describe("recordOperatorDecision with a two-of-three tier", () => {
  it("counts one approval, refuses a repeat and the requester's own operator, and approves on the second distinct one", async () => {
    h = await start(true);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const requested = await h.runtime.store.approvals.get(approvalId);
    expect(requested).toMatchObject({ required_approvals: 2, excluded_operator: "carol", status: "pending" });

    const first = await decide(approvalId, { note: "  looks right  " });
    expect(first).toMatchObject({ ok: true, result: { kind: "counted", approvers: ["alice"] }, row: { status: "pending" } });
    expect(answered(id)).toHaveLength(1);
    expect(answered(id)[0]!.actor).toBe("alice");
    expect(decisionPart(answered(id)[0]!.detail)).toEqual({
          via: "page",
          answer: "approve",
          approved: true,
          note: "looks right",
          acknowledged_flag: false,
          operator: "alice",
          vouched_by: "passphrase",
          approvals_given: 1,
          approvals_required: 2,
          quorum_reached: false,
    });

    const again = await decide(approvalId, { channel: "cli" });
    expect(again).toMatchObject({
      ok: false,
      reason: "repeated",
      message: `alice has already decided request ${approvalId}; a second decision by the same operator is not counted. Nothing changed.`,
      row: { id: approvalId, status: "pending" },
    });

    const own = await decide(approvalId, { operator: "carol" });
    expect(own).toMatchObject({
      ok: false,
      reason: "excluded",
      message: "carol runs the agent that asked for this, and the approval policy needs someone else to decide it. Nothing was recorded.",
      row: { id: approvalId },
    });
    expect(answered(id)).toHaveLength(1);
    expect((await h.runtime.store.approvals.decisionsOf(approvalId)).map((d) => d.operator)).toEqual(["alice"]);

    const second = await decide(approvalId, { operator: "bob", channel: "cli", vouchedBy: "terminal" });
    expect(second).toMatchObject({ ok: true, result: { kind: "approved", approvers: ["alice", "bob"] }, row: { status: "approved", decided_by: "alice, bob" } });
    expect(answered(id)[1]).toMatchObject({
      actor: "bob",
      detail: { via: "cli", operator: "bob", vouched_by: "terminal", approvals_given: 2, approvals_required: 2, quorum_reached: true, note: null },
    });

    const late = await decide(approvalId, { operator: "carol", answer: "reject" });
    expect(late).toMatchObject({ ok: false, reason: "not_pending", message: `Approval request ${approvalId} was answered or expired meanwhile; nothing changed.` });
    expect(answered(id)).toHaveLength(2);
  });

  it("records a rejection as denied, audited with who and what vouched but no count", async () => {
    h = await start(true);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const rejected = await decide(approvalId, { operator: "bob", answer: "reject", recordedAnswer: "deny", note: "x".repeat(2100) });
    expect(rejected).toMatchObject({ ok: true, result: { kind: "denied" }, row: { status: "denied", answer: "deny", decided_by: "bob" } });
    const [entry] = answered(id);
    expect(decisionPart(entry!.detail)).toEqual({ via: "page", answer: "deny", approved: false, note: "x".repeat(2000), acknowledged_flag: false, operator: "bob", vouched_by: "passphrase" });
    expect((await h.runtime.store.approvals.get(approvalId))!.note).toBe("x".repeat(2000));
    expect(storedStatus(h.runtime, id).status).toBe("planned");
  });

  it("refuses an operator the store does not know, by a name that cannot break the line, recording nothing", async () => {
    h = await start(true);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const outcome = await decide(approvalId, { operator: "mallory\nApproved by alice" });
    expect(outcome).toMatchObject({ ok: false, reason: "unknown_operator", row: { id: approvalId } });
    expect(outcome.ok ? "" : outcome.message).toMatch(/^There is no operator named mallory.{1,3}Approved by alice; nothing was recorded\.$/);
    expect(outcome.ok ? "" : outcome.message).not.toContain("\n");
    expect(await h.runtime.store.approvals.decisionsOf(approvalId)).toEqual([]);
    expect(answered(id)).toEqual([]);
  });

  it("says so for a request that does not exist", async () => {
    h = await start(true);
    const outcome = await decide("apr_missing", {});
    expect(outcome).toEqual({ ok: false, reason: "not_found", message: "No approval request apr_missing." });
  });
});

describe("recordOperatorDecision on a flagged intervention", () => {
  it("approves only with the flag acknowledged, audits the acknowledgement, and lets a rejection through without it", async () => {
    h = await start(true);
    const id = seededId(h.runtime, "planned", "AND flagged = 1");
    const approvalId = await pendingFor(id);
    const unticked = await decide(approvalId, {});
    expect(unticked).toMatchObject({ ok: false, reason: "flag_not_acknowledged", message: "This intervention is flagged: acknowledge the flag to approve it.", row: { id: approvalId } });
    expect(await h.runtime.store.approvals.decisionsOf(approvalId)).toEqual([]);

    const ticked = await decide(approvalId, { acknowledgedFlag: true });
    expect(ticked).toMatchObject({ ok: true, result: { kind: "counted" } });
    expect(answered(id)[0]!.detail).toMatchObject({ acknowledged_flag: true, approved: true });

    const rejected = await decide(approvalId, { operator: "bob", answer: "reject" });
    expect(rejected).toMatchObject({ ok: true, result: { kind: "denied" } });
    expect(answered(id)[1]!.detail).toMatchObject({ acknowledged_flag: false, approved: false, answer: "reject" });
  });
});

describe("recordOperatorDecision: whose audit row says who and the count", () => {
  it("names the operator and the count even for a one-human request, once operators exist", async () => {
    h = await start(true, false);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    expect(await decide(approvalId, { operator: "carol", vouchedBy: "oidc:https://login.example" })).toMatchObject({ ok: true, result: { kind: "approved", approvers: ["carol"] } });
    expect(decisionPart(answered(id)[0]!.detail)).toEqual({
      via: "page",
      answer: "approve",
      approved: true,
      note: null,
      acknowledged_flag: false,
      operator: "carol",
      vouched_by: "oidc:https://login.example",
      approvals_given: 1,
      approvals_required: 1,
      quorum_reached: true,
    });
  });

  it("keeps counting for a two-human request the anonymous human answers after every operator was removed", async () => {
    h = await start(true);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    for (const name of OPERATORS) await h.runtime.store.operators.remove(name, { tenant_id: "live", event: "operator_removed", actor: "test", detail: { operator: name } });
    const outcome = await decide(approvalId, { operator: null, anonymousActor: "human:cli", channel: "cli", vouchedBy: "terminal" });
    expect(outcome).toMatchObject({ ok: true, result: { kind: "counted", approvers: ["human:cli"] } });
    expect(decisionPart(answered(id)[0]!.detail)).toMatchObject({ operator: null, vouched_by: "terminal", approvals_given: 1, approvals_required: 2, quorum_reached: false });
  });
});

describe("recordOperatorDecision without operators", () => {
  it("keeps the anonymous audit row: the channel's actor, no operator, no count", async () => {
    h = await start(false);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const outcome = await decide(approvalId, { operator: null, anonymousActor: "form:test-client", channel: "form", vouchedBy: "client report", note: "   " });
    expect(outcome).toMatchObject({ ok: true, result: { kind: "approved", approvers: ["form:test-client"] }, row: { status: "approved", decided_by: "form:test-client", answer: "approve" } });
    const [entry] = answered(id);
    expect(entry).toMatchObject({ actor: "form:test-client" });
    expect(decisionPart(entry!.detail)).toEqual({ via: "form", answer: "approve", approved: true, note: null, acknowledged_flag: false });
  });

  it("names the channel's human when no actor is given", async () => {
    h = await start(false);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const outcome = await decide(approvalId, { operator: null, channel: "cli", answer: "reject" });
    expect(outcome).toMatchObject({ ok: true, result: { kind: "denied" }, row: { decided_by: "human:cli", answer: "reject" } });
    expect(answered(id)[0]).toMatchObject({ actor: "human:cli" });
  });
});
