/**
 * What the guard tells the team and writes in its audit log on its own, on a
 * real SQLite store at a fixed clock: the notices (src/guard/notices.ts) and
 * what each one carries, the sweep that expires, voids, reminds and escalates
 * (sweep.ts), and the budget that keeps a flood of refusals to one summary
 * row per source and window (guard-audit.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agentActor, auditRefusal, flushEndedRefusalWindows, flushRefusalSummaries, guardEvent, REFUSAL_WINDOW_MS, REFUSALS_PER_WINDOW } from "../../src/guard/guard-audit.js";
import { createNotices, logSink, noticeViewOf, type NoticeSink } from "../../src/guard/notices.js";
import { answerApproval } from "../../src/guard/human-answer.js";
import { recordOperatorDecision } from "../../src/guard/decision.js";
import { keepIfUsable, sweepApprovals, sweepExpired } from "../../src/guard/sweep.js";
import { silentLogger } from "../../src/log.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf } from "../support/sqlite.js";
import { recordingLogger, recordingSink } from "./recorders.js";
import { openRequest, plannedIntervention } from "./store-requests.js";

const NOW = new Date("2026-12-01T10:00:00.000Z");
const MINUTE = 60_000;

let store: Store | undefined;
let dir: string | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function fresh(): Promise<Store> {
  dir = mkdtempSync(join(tmpdir(), "retivo-notices-"));
  store = await openStore({ dbPath: join(dir, "retivo.db") });
  return store;
}

let serial = 0;
const newRequest = (s: Store, options: Parameters<typeof openRequest>[2] = {}) =>
  openRequest(s, plannedIntervention(`int_notices${String(++serial).padStart(10, "0")}`), { now: NOW, ttlMs: 60 * MINUTE, ...options });

const auditRows = (s: Store, event: string) =>
  (dbOf(s).prepare("SELECT actor, intervention_id, detail FROM audit_log WHERE event = ? ORDER BY seq").all(event) as Array<{ actor: string; intervention_id: string | null; detail: string }>).map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));
const tenantsOf = (s: Store, event: string) => (dbOf(s).prepare("SELECT DISTINCT tenant_id FROM audit_log WHERE event = ?").all(event) as Array<{ tenant_id: string }>).map((row) => row.tenant_id);

describe("notices", () => {
  it("tells every sink the request in the team's words, with the page link only when given", async () => {
    const s = await fresh();
    const id = await newRequest(s);
    const row = (await s.approvals.get(id))!;
    const first = recordingSink("first");
    const second = recordingSink("second");
    const notices = createNotices(s, [first, second], silentLogger(), () => NOW);
    await notices.emit("requested", row, "http://127.0.0.1:9/approvals/x?token=t");
    await notices.emit("outcome", row);
    expect(first.sent).toEqual(second.sent);
    expect(first.sent[0]).toEqual({
      kind: "requested",
      at: NOW.toISOString(),
      pageUrl: "http://127.0.0.1:9/approvals/x?token=t",
      request: {
        approval_id: id,
        action: "approve",
        intervention_id: row.intervention_id,
        channel: "email",
        status: "pending",
        requested_by: "test-client 1",
        tier: "needs 1 human; none given yet",
        required: 1,
        given: [],
        eligible: [],
        rule: null,
        expires_at: "2026-12-01T11:00:00.000Z",
        outcome: null,
      },
    });
    expect(first.sent[1]).not.toHaveProperty("pageUrl");
    expect(first.sent[1]!.kind).toBe("outcome");
  });

  it("carries the tier's rule, the approvers so far and the outcome", async () => {
    const s = await fresh();
    for (const name of ["alice", "bob"]) await s.operators.add({ name, passphrase: "scrypt$unused", principal: null, created_at: NOW.toISOString() }, { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } });
    const id = await newRequest(s, { tier: { rule: "two of them", required: 2, excludedOperator: "bob" } });
    await recordOperatorDecision(s, { approvalId: id, operator: "alice", answer: "approve", channel: "page", vouchedBy: "passphrase", now: NOW });
    await s.approvals.close(id, "void", NOW, "the intervention changed", guardEvent({ event: "approval_voided", actor: "system:test", approval: (await s.approvals.get(id))!, detail: {} }));
    const view = await noticeViewOf(s, (await s.approvals.get(id))!);
    expect(view).toMatchObject({ status: "void", required: 2, eligible: ["alice"], given: ["alice"], rule: "two of them", outcome: "the intervention changed", tier: "needs 2 of: alice; 1 given (alice); not bob (the requester's own)" });
  });

  it("sends nothing without sinks, and a sink that fails neither stops the others nor the caller", async () => {
    const s = await fresh();
    const row = (await s.approvals.get(await newRequest(s)))!;
    await createNotices(s, [], silentLogger()).emit("requested", row);
    const { logger, lines } = recordingLogger();
    const after = recordingSink();
    const broken: NoticeSink = { name: "broken", send: async () => Promise.reject(new Error("chat is down")) };
    await createNotices(s, [broken, after], logger, () => NOW).emit("reminder", row);
    expect(after.sent.map((notice) => notice.kind)).toEqual(["reminder"]);
    expect(lines).toEqual([expect.objectContaining({ level: 40, sink: "broken", approvalId: row.id, msg: "an approval notice could not be sent", err: expect.objectContaining({ message: "chat is down" }) })]);
  });

  it("logs one line per notice by default", async () => {
    const s = await fresh();
    const row = (await s.approvals.get(await newRequest(s)))!;
    const { logger, lines } = recordingLogger();
    await createNotices(s, [logSink(logger)], silentLogger(), () => NOW).emit("escalation", row);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        notice: "escalation",
        approvalId: row.id,
        intervention: row.intervention_id,
        tier: "needs 1 human; none given yet",
        status: "pending",
        msg: `approval escalation: approve of ${row.intervention_id} (needs 1 human; none given yet)`,
      }),
    ]);
  });
});

describe("the sweep", () => {
  it("expires what ran out, says whether it was answered, and tells the team once", async () => {
    const s = await fresh();
    const unanswered = await newRequest(s);
    const approved = await newRequest(s);
    const fresh30 = await newRequest(s, { now: new Date(NOW.getTime() + 30 * MINUTE) });
    await answerApproval(s, approved, { approve: true, via: "cli", answer: "approve", interactive: true }, NOW);
    const sink = recordingSink();
    const notices = createNotices(s, [sink], silentLogger(), () => NOW);
    const later = new Date(NOW.getTime() + 61 * MINUTE);
    await sweepApprovals(s, later, notices, async () => "http://page");
    expect(await s.approvals.get(unanswered)).toMatchObject({ status: "expired", outcome: "expired unanswered" });
    expect(await s.approvals.get(approved)).toMatchObject({ status: "expired", outcome: "expired before it was executed" });
    expect(await s.approvals.get(fresh30)).toMatchObject({ status: "pending" });
    const byId = (a: unknown[], b: unknown[]) => String(a[1]).localeCompare(String(b[1]));
    expect(sink.sent.map((notice) => [notice.kind, notice.request.approval_id, notice.request.status, notice.pageUrl]).sort(byId)).toEqual(
      [
        ["outcome", unanswered, "expired", undefined],
        ["outcome", approved, "expired", undefined],
      ].sort(byId),
    );
    expect(auditRows(s, "approval_expired").map((row) => [row.actor, row.detail.approval_id, row.detail.was]).sort(byId)).toEqual(
      [
        ["system:guard", unanswered, "pending"],
        ["system:guard", approved, "approved"],
      ].sort(byId),
    );
    // Swept again, nothing is closed or told twice.
    await sweepApprovals(s, later, notices, async () => "http://page");
    expect(sink.sent).toHaveLength(2);
    expect(auditRows(s, "approval_expired")).toHaveLength(2);
  });

  it("sends each due reminder and escalation once, with the page link, and audits when they were due", async () => {
    const s = await fresh();
    const id = await newRequest(s, { tier: { rule: "slow", required: 1, remindAfterMs: 10 * MINUTE, escalateAfterMs: 20 * MINUTE } });
    const sink = recordingSink();
    const notices = createNotices(s, [sink], silentLogger(), () => NOW);
    const pageOf = async (row: { id: string }) => `http://page/${row.id}`;
    await sweepApprovals(s, new Date(NOW.getTime() + 9 * MINUTE), notices, pageOf);
    expect(sink.sent).toEqual([]);
    await sweepApprovals(s, new Date(NOW.getTime() + 11 * MINUTE), notices, pageOf);
    await sweepApprovals(s, new Date(NOW.getTime() + 12 * MINUTE), notices, pageOf);
    expect(sink.sent.map((notice) => [notice.kind, notice.pageUrl])).toEqual([["reminder", `http://page/${id}`]]);
    await sweepApprovals(s, new Date(NOW.getTime() + 21 * MINUTE), notices, pageOf);
    expect(sink.sent.map((notice) => notice.kind)).toEqual(["reminder", "escalation"]);
    expect(auditRows(s, "approval_reminder")).toEqual([expect.objectContaining({ actor: "system:guard", detail: expect.objectContaining({ approval_id: id, due: "2026-12-01T10:10:00.000Z", expires_at: "2026-12-01T11:00:00.000Z" }) })]);
    expect(auditRows(s, "approval_escalated")).toEqual([expect.objectContaining({ detail: expect.objectContaining({ approval_id: id, due: "2026-12-01T10:20:00.000Z" }) })]);
  });

  it("voids an open request whose intervention changed, keeps one that did not, and leaves closed ones alone", async () => {
    const s = await fresh();
    const id = await newRequest(s);
    const row = (await s.approvals.get(id))!;
    expect(await keepIfUsable(s, row, row.action_hash, NOW)).toBe(true);
    expect(await keepIfUsable(s, row, undefined, NOW)).toBe(true);
    expect(await keepIfUsable(s, row, "0".repeat(64), NOW)).toBe(false);
    expect(await s.approvals.get(id)).toMatchObject({ status: "void", outcome: "the intervention changed since the request was made" });
    expect(auditRows(s, "approval_voided")).toEqual([
      {
        actor: "system:guard",
        intervention_id: row.intervention_id,
        detail: { approval_id: id, action: "approve", action_hash: row.action_hash, channel: "terminal", client: "test-client 1", was: "pending", why: "the intervention changed since the request was made", current_hash: "0".repeat(64) },
      },
    ]);
    expect(tenantsOf(s, "approval_voided")).toEqual(["live"]);
    const closed = (await s.approvals.get(id))!;
    expect(await keepIfUsable(s, closed, "1".repeat(64), new Date(NOW.getTime() + 10 * 60 * MINUTE))).toBe(true);
    expect(auditRows(s, "approval_voided")).toHaveLength(1);
  });

  it("runs the expiry hook only for the process that expired the request", async () => {
    const s = await fresh();
    const id = await newRequest(s);
    const row = (await s.approvals.get(id))!;
    const later = new Date(NOW.getTime() + 61 * MINUTE);
    const expired: string[] = [];
    expect(await keepIfUsable(s, row, undefined, later, async (r) => void expired.push(`${r.id}:${r.status}`))).toBe(false);
    // The same stale row again (another process's read): already closed, so its hook does not run.
    expect(await keepIfUsable(s, row, undefined, later, async (r) => void expired.push(r.id))).toBe(false);
    expect(expired).toEqual([`${id}:expired`]);
    // Exactly at its expiry a request is expired; a moment before, it is not.
    const edge = await newRequest(s);
    const edgeRow = (await s.approvals.get(edge))!;
    expect(await keepIfUsable(s, edgeRow, undefined, new Date(Date.parse(edgeRow.expires_at) - 1))).toBe(true);
    await sweepExpired(s, new Date(edgeRow.expires_at));
    expect((await s.approvals.get(edge))!.status).toBe("expired");
  });
});

describe("the refusal budget", () => {
  const refusal = (n: number) => ({ event: "approval_refused" as const, actor: "agent:flood", interventionId: null, detail: { n } });

  it("records a window's first refusals in full and sums up the rest in one row when the next window starts", async () => {
    const s = await fresh();
    for (let i = 0; i < REFUSALS_PER_WINDOW + 4; i++) await auditRefusal(s, "token:flood", refusal(i), new Date(NOW.getTime() + i));
    expect(auditRows(s, "approval_refused")).toHaveLength(REFUSALS_PER_WINDOW);
    expect(auditRows(s, "approval_refused").at(-1)!.detail).toEqual({ n: REFUSALS_PER_WINDOW - 1 });
    expect(auditRows(s, "approval_refusals_suppressed")).toEqual([]);
    // Another source has a budget of its own.
    await auditRefusal(s, "channel:page", refusal(100), new Date(NOW.getTime() + 50));
    expect(auditRows(s, "approval_refused")).toHaveLength(REFUSALS_PER_WINDOW + 1);
    const next = new Date(NOW.getTime() + REFUSAL_WINDOW_MS);
    await auditRefusal(s, "token:flood", refusal(200), next);
    expect(auditRows(s, "approval_refusals_suppressed")).toEqual([
      { actor: "system:guard", intervention_id: null, detail: { source: "token:flood", count: 4, from: new Date(NOW.getTime() + REFUSALS_PER_WINDOW).toISOString(), to: next.toISOString() } },
    ]);
    expect(auditRows(s, "approval_refused").at(-1)!.detail).toEqual({ n: 200 });
  });

  it("writes an ended window's summary on the sweep, not one still running, and the rest when the guard closes", async () => {
    const s = await fresh();
    for (let i = 0; i < REFUSALS_PER_WINDOW + 2; i++) await auditRefusal(s, "token:a", refusal(i), NOW);
    const later = new Date(NOW.getTime() + REFUSAL_WINDOW_MS / 2);
    for (let i = 0; i < REFUSALS_PER_WINDOW + 1; i++) await auditRefusal(s, "token:b", refusal(i), later);
    await flushEndedRefusalWindows(s, new Date(NOW.getTime() + REFUSAL_WINDOW_MS - 1));
    expect(auditRows(s, "approval_refusals_suppressed")).toEqual([]);
    await flushEndedRefusalWindows(s, new Date(NOW.getTime() + REFUSAL_WINDOW_MS));
    expect(auditRows(s, "approval_refusals_suppressed").map((row) => [row.detail.source, row.detail.count])).toEqual([["token:a", 2]]);
    await flushRefusalSummaries(s, later);
    expect(auditRows(s, "approval_refusals_suppressed").map((row) => [row.detail.source, row.detail.count])).toEqual([
      ["token:a", 2],
      ["token:b", 1],
    ]);
    // Nothing is summed twice.
    await flushRefusalSummaries(s, later);
    expect(auditRows(s, "approval_refusals_suppressed")).toHaveLength(2);
  });

  it("stays bounded with many sources, losing no count", async () => {
    const s = await fresh();
    for (let i = 0; i < REFUSALS_PER_WINDOW + 3; i++) await auditRefusal(s, "token:loud", refusal(i), NOW);
    for (let i = 0; i < 1000; i++) await auditRefusal(s, `token:quiet${i}`, refusal(i), NOW);
    expect(auditRows(s, "approval_refusals_suppressed")).toEqual([]);
    await auditRefusal(s, "token:one-more", refusal(0), NOW);
    expect(auditRows(s, "approval_refusals_suppressed").map((row) => [row.detail.source, row.detail.count])).toEqual([["token:loud", 3]]);
  });

  it("writes nothing for a store that never refused anything", async () => {
    const s = await fresh();
    await flushRefusalSummaries(s, NOW);
    await flushEndedRefusalWindows(s, new Date(NOW.getTime() + 10 * REFUSAL_WINDOW_MS));
    expect(dbOf(s).prepare("SELECT count(*) AS n FROM audit_log").get()).toEqual({ n: 0 });
  });

  it("names a refusal's intervention when given, else the request's, else none, under the guard's tenant", async () => {
    const s = await fresh();
    const row = (await s.approvals.get(await newRequest(s)))!;
    expect(guardEvent({ event: "approval_refused", actor: "a", approval: row }).intervention_id).toBe(row.intervention_id);
    expect(guardEvent({ event: "approval_refused", actor: "a", approval: row, interventionId: "int_other000000000001" }).intervention_id).toBe("int_other000000000001");
    expect(guardEvent({ event: "approval_refused", actor: "a", interventionId: null })).toMatchObject({ intervention_id: null, tenant_id: "live", detail: {} });
    await auditRefusal(s, "token:x", { event: "approval_refused", actor: "a" }, NOW);
    expect(tenantsOf(s, "approval_refused")).toEqual(["live"]);
  });

  it("names the agent by its client, capped", () => {
    expect(agentActor({ name: "triage-agent", version: "2.1" })).toBe("agent:triage-agent");
    expect(agentActor({ name: "x".repeat(150), version: "1" })).toBe(`agent:${"x".repeat(100)}`);
  });
});
