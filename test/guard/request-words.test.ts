/**
 * The words a human reads about a request, from a stored request to the text:
 * the request view (src/guard/request-view.ts) and its plain words
 * (plain-words.ts), the terminal and form text (describe.ts), what happened
 * (outcome-text.ts), the tier (tier-text.ts) and the pending result's
 * instructions (pending.ts). Each branch is asserted in the exact words, on
 * requests stored in a real SQLite file at a fixed clock, in UTC.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionFactsOf, actionHash, displayFactsOf, type Recipient } from "../../src/domain/action-hash.js";
import type { DetailedIntervention } from "../../src/api/schemas.js";
import { describeApprovalRow, describeView, headline, headlineOf, summaryLines } from "../../src/guard/describe.js";
import { recordOperatorDecision } from "../../src/guard/decision.js";
import { guardEvent } from "../../src/guard/guard-audit.js";
import { outcomeText, rollbackEffect } from "../../src/guard/outcome-text.js";
import { pendingApprovalFor } from "../../src/guard/pending.js";
import { flagReasonsInWords, localTime, relativeTime, when, writtenBy } from "../../src/guard/plain-words.js";
import { requestViewOf } from "../../src/guard/request-view.js";
import { isTeamTier, tierLine, tierViewOf, type TierView } from "../../src/guard/tier-text.js";
import { openStore, type ApprovalRow, type Store } from "../../src/store/index.js";
import { plannedIntervention } from "./store-requests.js";

const NOW = new Date("2026-12-01T10:00:00.000Z");
const HOUR = 3_600_000;

let store: Store;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-words-"));
  store = await openStore({ dbPath: join(dir, "retivo.db") });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

let serial = 0;
interface RowOptions {
  action?: "approve" | "rollback";
  reason?: string;
  recipient?: Recipient | null;
  backendId?: string;
  more?: Partial<DetailedIntervention>;
}

/** A request stored as the guard stores it, made at NOW and open for two hours. */
async function rowOf(options: RowOptions = {}): Promise<ApprovalRow> {
  const intervention = plannedIntervention(`int_words${String(++serial).padStart(12, "0")}`, {
    planned_at: "2026-12-01T12:00:00.000Z",
    subject: "Your workspace",
    provenance: { provider: "template" },
    ...options.more,
  } as Partial<DetailedIntervention>);
  const facts = actionFactsOf(options.action ?? "approve", intervention, options.reason);
  return store.approvals.insert(
    {
      tenantId: "live",
      facts,
      display: displayFactsOf(intervention, options.recipient ?? null),
      hash: actionHash(facts),
      principal: "local",
      client: { name: "triage-agent", version: "2.1" },
      backendId: options.backendId ?? "local",
      channel: "terminal",
      now: NOW,
      ttlMs: 2 * HOUR,
      tier: { rule: null, required: 1, excludedOperator: null, remindAfterMs: null, escalateAfterMs: null },
    },
    (inserted) => guardEvent({ event: "approval_requested", actor: "agent:test", approval: inserted, detail: {} }),
  );
}

const viewOf = async (options: RowOptions = {}) => requestViewOf(await rowOf(options), NOW, "UTC");
const checks = (...list: Array<[string, boolean, string]>) => ({ checks: list.map(([name, passed, severity]) => ({ name, passed, severity, detail: `${name} detail` })) });

describe("plain words", () => {
  it("writes local times short, in the zone asked for, and leaves a bad time as it was", () => {
    expect(localTime("2026-12-04T09:05:00.000Z", "UTC")).toBe("Fri 4 Dec 09:05");
    expect(localTime("2026-12-04T09:05:00.000Z", "Asia/Tokyo")).toBe("Fri 4 Dec 18:05");
    expect(localTime("2026-12-04T23:30:00.000Z", "UTC")).toBe("Fri 4 Dec 23:30");
    expect(localTime("not a time", "UTC")).toBe("not a time");
  });

  it("says how far away a time is, in the unit that reads best", () => {
    const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
    expect(relativeTime(at(44_999), NOW)).toBe("now");
    expect(relativeTime(at(-44_999), NOW)).toBe("now");
    expect(relativeTime(at(45_000), NOW)).toBe("in 1 minute");
    expect(relativeTime(at(9 * 60_000), NOW)).toBe("in 9 minutes");
    expect(relativeTime(at(90 * 60_000 - 1), NOW)).toBe("in 90 minutes");
    expect(relativeTime(at(90 * 60_000), NOW)).toBe("in 2 hours");
    expect(relativeTime(at(-2 * HOUR), NOW)).toBe("2 hours ago");
    expect(relativeTime(at(36 * HOUR - 1), NOW)).toBe("in 36 hours");
    expect(relativeTime(at(36 * HOUR), NOW)).toBe("in 2 days");
    expect(relativeTime(at(-3 * 24 * HOUR), NOW)).toBe("3 days ago");
    expect(relativeTime("never", NOW)).toBe("");
    expect(when(at(3 * 24 * HOUR), NOW, "UTC")).toBe("Fri 4 Dec 10:00 (in 3 days)");
    expect(when("never", NOW, "UTC")).toBe("never");
  });

  it("turns the engine's and the checks' codes into sentences, in the order they were raised", () => {
    expect(flagReasonsInWords(null, NOW, "UTC")).toEqual(["Flagged, with no reason recorded."]);
    expect(flagReasonsInWords("", NOW, "UTC")).toEqual(["Flagged, with no reason recorded."]);
    expect(flagReasonsInWords("decision engine would wait (frequency_cap_until:2026-12-06T00:11:34.081Z)", NOW, "UTC")).toEqual([
      "The decision engine would wait: this user already got as many messages as the playbook allows this week: frequency cap until Sun 6 Dec 00:11 (in 5 days).",
    ]);
    expect(flagReasonsInWords("decision engine would skip (cooldown_until:2026-12-01T12:00:00.000Z)", NOW, "UTC")).toEqual([
      "The decision engine would not plan this: this user got a message from this playbook recently: cooldown until Tue 1 Dec 12:00 (in 2 hours).",
    ]);
    expect(flagReasonsInWords("decision engine would escalate (high_risk_low_confidence)", NOW, "UTC")).toEqual([
      "The decision engine would hand this to a human: this user is at high risk and the engine's confidence is low: a human should handle them directly.",
    ]);
    expect(flagReasonsInWords("decision engine would wait (made_up_until:2026-12-06T00:00:00Z)", NOW, "UTC")).toEqual(["The decision engine would wait: made_up_until:2026-12-06T00:00:00Z."]);
    expect(flagReasonsInWords("offer_allowed: 30% off is not in the catalog; decision engine would skip (opted_out); flagged for review: the tone is off", NOW, "UTC")).toEqual([
      "Quality check failed (offer_allowed): 30% off is not in the catalog",
      "The decision engine would not plan this: this user opted out of messages.",
      "Flagged for review by an agent or operator: the tone is off",
    ]);
    expect(flagReasonsInWords("Something a person wrote; with a semicolon", NOW, "UTC")).toEqual(["Something a person wrote; with a semicolon"]);
    // Only a whole objection is translated: text around one stays as it was written.
    expect(flagReasonsInWords("Held by hand, decision engine would skip (opted_out)", NOW, "UTC")).toEqual(["Held by hand, decision engine would skip (opted_out)"]);
    expect(flagReasonsInWords("decision engine would skip (opted_out) and then some", NOW, "UTC")).toEqual(["decision engine would skip (opted_out) and then some"]);
    expect(flagReasonsInWords("decision engine would wait (not-cooldown_until:2026-12-06T00:00:00Z)", NOW, "UTC")).toEqual(["The decision engine would wait: not-cooldown_until:2026-12-06T00:00:00Z."]);
    const engine = (code: string) => flagReasonsInWords(`decision engine would skip (${code})`, NOW, "UTC")[0];
    expect(engine("no_matching_playbook")).toBe("The decision engine would not plan this: no playbook's entry conditions match this user.");
    expect(engine("channel_not_allowed")).toBe("The decision engine would not plan this: the playbook does not allow this channel.");
    expect(engine("frequency_cap")).toBe("The decision engine would not plan this: this user already got as many messages as the playbook allows per week.");
    expect(engine("kill_switch_active")).toBe("The decision engine would not plan this: the kill switch is active.");
    expect(engine("unknown_user")).toBe("The decision engine would not plan this: the user does not exist.");
    expect(engine("user_paused")).toBe("The decision engine would not plan this: this user is paused.");
    expect(flagReasonsInWords("flagged for review: x", NOW, "UTC")).toEqual(["flagged for review: x"]);
    expect(flagReasonsInWords("a; flagged for review: b", NOW, "UTC")).toEqual(["a", "Flagged for review by an agent or operator: b"]);
  });

  it("names who wrote the message", () => {
    expect(writtenBy({ provider: "seed" })).toBe("demo data (the seed), not a model");
    expect(writtenBy({ provider: "template" })).toBe("the offline template, not a model");
    expect(writtenBy({ provider: "template", fallback_reason: "timeout" })).toBe("the offline template (the model failed, so the template wrote it)");
    expect(writtenBy({ provider: "openai", model: "gpt-5-mini" })).toBe("an AI model (gpt-5-mini, OpenAI-compatible API)");
    expect(writtenBy({ provider: "openai" })).toBe("an AI model (unknown model, OpenAI-compatible API)");
    expect(writtenBy({ provider: "sampling", model: "claude-x" })).toBe("the requesting agent's own model (claude-x), through MCP sampling");
    expect(writtenBy({ provider: "sampling", model: "client-model" })).toBe("the requesting agent's own model, through MCP sampling");
    expect(writtenBy({ provider: "sampling" })).toBe("the requesting agent's own model, through MCP sampling");
    expect(writtenBy(null)).toBe("an AI model (provenance not reported)");
    expect(writtenBy({ provider: 7 })).toBe("an AI model (provenance not reported)");
    expect(writtenBy({ provider: "acme", model: "m1" })).toBe("acme (m1)");
    expect(writtenBy({ provider: "acme", model: 3 })).toBe("acme");
  });
});

describe("the request view", () => {
  it("holds the facts of an approval as stored", async () => {
    const row = await rowOf({ recipient: { name: "Maya Lin", address: "maya@example.com" } as Recipient });
    const view = requestViewOf(row, NOW, "UTC");
    expect(view).toEqual({
      approvalId: row.id,
      action: "approve",
      title: "Release this email",
      interventionId: row.intervention_id,
      channel: "email",
      status: "planned",
      version: 1,
      verdict: { tone: "warn", headline: "No quality checks recorded for this message: read it yourself", reasons: [] },
      recipient: { userId: "user-1", name: "Maya Lin", address: "maya@example.com" },
      subject: "Your workspace",
      body: "Hi Maya, a quick note.",
      writtenBy: "the offline template, not a model",
      reasoning: "test",
      confidence: 0.7,
      timing: [{ label: "Goes out", text: "Tue 1 Dec 12:00 (in 2 hours)" }],
      expiresAt: "2026-12-01T12:00:00.000Z",
      expiresIn: "Tue 1 Dec 12:00 (in 2 hours)",
      expired: false,
      requestedBy: "triage-agent 2.1",
      statedReason: null,
      flagged: false,
      checks: null,
      actionHash: row.action_hash,
    });
    expect(requestViewOf(row, new Date("2026-12-01T12:00:00.000Z"), "UTC").expired).toBe(true);
    expect(requestViewOf(row, new Date("2026-12-01T11:59:59.999Z"), "UTC").expired).toBe(false);
  });

  it("says when a message planned in the past goes out, and names each channel", async () => {
    const past = await viewOf({ more: { planned_at: "2026-12-01T08:00:00.000Z", channel: "in_app" } as Partial<DetailedIntervention> });
    expect(past.timing).toEqual([{ label: "Goes out", text: "as soon as it is approved (it was planned for Tue 1 Dec 08:00 (2 hours ago))" }]);
    expect(past.title).toBe("Release this in-app message");
    const exactlyNow = await viewOf({ more: { planned_at: NOW.toISOString(), channel: "webhook" } as Partial<DetailedIntervention> });
    expect(exactlyNow.timing[0]!.text).toBe("as soon as it is approved (it was planned for Tue 1 Dec 10:00 (now))");
    expect(exactlyNow.title).toBe("Release this webhook message");
    const unparsable = await viewOf({ more: { planned_at: "soon" } as Partial<DetailedIntervention> });
    expect(unparsable.timing[0]!.text).toBe("as soon as it is approved (it was planned for soon)");
  });

  it("gives a verdict: passed, passed with warnings, failed, flagged", async () => {
    expect((await viewOf({ more: { quality_checks: checks(["footer", true, "error"]) } as never })).verdict).toEqual({ tone: "ok", headline: "Every required quality check passed; not flagged", reasons: [] });
    expect((await viewOf({ more: { quality_checks: checks(["footer", true, "error"], ["tone", false, "warn"], ["length", true, "warn"]) } as never })).verdict.reasons).toEqual(["1 warning: tone"]);
    expect((await viewOf({ more: { quality_checks: checks(["tone", false, "warn"], ["length", false, "info"]) } as never })).verdict.reasons).toEqual(["2 warnings: tone, length"]);
    expect((await viewOf({ more: { quality_checks: checks(["offer_allowed", false, "error"], ["tone", false, "warn"]) } as never })).verdict).toEqual({
      tone: "danger",
      headline: "A required quality check FAILED",
      reasons: ["Quality check failed (offer_allowed): offer_allowed detail"],
    });
    const flagged = await viewOf({ more: { flagged: true, flag_reason: "offer_allowed: 30% off", quality_checks: checks(["offer_allowed", false, "error"], ["footer", false, "error"]) } as never });
    expect(flagged.verdict).toEqual({
      tone: "danger",
      headline: "FLAGGED: read why before approving",
      reasons: ["Quality check failed (offer_allowed): 30% off", "Quality check failed (footer): footer detail"],
    });
    expect(flagged.flagged).toBe(true);
    expect(flagged.checks).toEqual([
      { name: "offer_allowed", passed: false, severity: "error", detail: "offer_allowed detail" },
      { name: "footer", passed: false, severity: "error", detail: "footer detail" },
    ]);
    expect((await viewOf({ more: { quality_checks: { checks: "none" } } as never })).checks).toBeNull();
  });

  it("shows a rollback's effect, its reason, and when it was sent and delivered", async () => {
    const email = await viewOf({ action: "rollback", reason: "wrong segment", more: { status: "sent", sent_at: "2026-11-30T10:00:00.000Z", delivered_at: null } as never });
    expect(email).toMatchObject({
      title: "Roll back this email",
      verdict: { tone: "warn", headline: "Rolling back: an email cannot be unsent: the rollback is recorded, and the recipient keeps the message.", reasons: [] },
      statedReason: "wrong segment",
      timing: [
        { label: "Sent", text: "Mon 30 Nov 10:00 (24 hours ago)" },
        { label: "Delivered", text: "not confirmed" },
      ],
    });
    const inApp = await viewOf({ action: "rollback", more: { status: "delivered", channel: "in_app", delivered_at: "2026-12-01T09:00:00.000Z" } as never });
    expect(inApp).toMatchObject({
      verdict: { tone: "ok", headline: "Rolling back: the in-app message is withdrawn from the user's inbox." },
      statedReason: null,
      timing: [
        { label: "Sent", text: "not recorded" },
        { label: "Delivered", text: "Tue 1 Dec 09:00 (60 minutes ago)" },
      ],
    });
  });
});

describe("the text of a request", () => {
  it("leads with the action and the recipient, the address only where asked", async () => {
    const named = await viewOf({ recipient: { name: "Maya Lin", address: "maya@example.com" } as Recipient });
    expect(headlineOf(named)).toBe(`APPROVE intervention ${named.interventionId}: release this email to Maya Lin (user user-1)`);
    expect(headlineOf(named, true)).toBe(`APPROVE intervention ${named.interventionId}: release this email to Maya Lin <maya@example.com> (user user-1)`);
    const anonymous = await rowOf({ action: "rollback", more: { status: "sent" } as never });
    expect(headline(anonymous)).toBe(`ROLL BACK intervention ${anonymous.intervention_id}: roll back this email sent to user user-1`);
    const addressOnly = await viewOf({ recipient: { name: null, address: "x@example.com" } as unknown as Recipient });
    expect(headlineOf(addressOnly, true)).toBe(`APPROVE intervention ${addressOnly.interventionId}: release this email to user user-1 <x@example.com>`);
  });

  it("describes an approval in full: verdict, message in its gutter, timing, who asked, checks, reasoning, ids", async () => {
    const view = await viewOf({ more: { flagged: true, flag_reason: "held by hand; flagged for review: check the tone", quality_checks: checks(["footer", true, "error"], ["tone", false, "warn"]) } as never });
    const text = describeView(view);
    expect(text.split("\n")).toEqual([
      `APPROVE intervention ${view.interventionId}: release this email to user user-1`,
      "",
      "FLAGGED: read why before approving",
      "  - held by hand",
      "  - Flagged for review by an agent or operator: check the tone",
      "",
      "Subject: Your workspace",
      "Message body, as the recipient will see it (written by the offline template,",
      "    not a model; data to review, not instructions):",
      "  │ Hi Maya, a quick note.",
      "",
      "Goes out: Tue 1 Dec 12:00 (in 2 hours)",
      "Request expires Tue 1 Dec 12:00 (in 2 hours)",
      "Requested by: triage-agent 2.1 (an AI agent's client)",
      "Quality checks: no failed check, but the intervention is FLAGGED (see above)",
      "  - ok   footer (error): footer detail",
      "  - warn tone (warn): tone detail",
      "Model reasoning (model output, unverified; confidence 0.7):",
      "  │ test",
      "",
      `Intervention: ${view.interventionId} (status planned, version 1), approval`,
      `    ${view.approvalId}`,
      `Action hash: ${view.actionHash}`,
    ]);
  });

  it("labels the verdict unless it is a warning in red, lists failed checks, and a rollback's reason", async () => {
    const failedView = await viewOf({ more: { subject: null, quality_checks: checks(["footer", true, "error"], ["offer_allowed", false, "error"]) } as never });
    const failed = describeView(failedView).split("\n");
    expect(failed.slice(0, 6)).toEqual([
      `APPROVE intervention ${failedView.interventionId}: release this email to user user-1`,
      "",
      "A required quality check FAILED",
      "  - Quality check failed (offer_allowed): offer_allowed detail",
      "",
      "Message body, as the recipient will see it (written by the offline template,",
    ]);
    expect(failed).toContain("Quality checks: FAILED");
    expect(failed).toContain("  - FAIL offer_allowed (error): offer_allowed detail");
    expect(failed.some((line) => line.startsWith("Subject:"))).toBe(false);
    const passed = describeView(await viewOf({ more: { quality_checks: checks(["footer", true, "error"]) } as never })).split("\n");
    expect(passed).toContain("Verdict: Every required quality check passed; not flagged");
    expect(passed).toContain("Quality checks: passed");
    const rollback = describeView(await viewOf({ action: "rollback", reason: "sent twice", more: { status: "sent", version: null } as never })).split("\n");
    expect(rollback).toContain("Rollback reason given by the agent: sent twice");
    expect(rollback).toContain("Quality checks: none recorded");
    expect(rollback.some((line) => line.includes("(status sent, version n/a)"))).toBe(true);
    const noReason = describeView(await viewOf({ action: "rollback", more: { status: "sent" } as never })).split("\n");
    expect(noReason).toContain("Rollback reason given by the agent: (none)");
  });

  it("describes a stored request as of now, to the width asked for", async () => {
    const row = await rowOf();
    const text = describeApprovalRow(row, { width: 40 });
    expect(text.split("\n")[0]).toBe("APPROVE intervention");
    expect(text).toContain(row.intervention_id);
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(40);
    expect(text).toContain(row.id);
  });

  it("keeps every line within the width asked for", async () => {
    const view = await viewOf({ more: { message_body: "word ".repeat(80), reasoning: "because ".repeat(40) } as never });
    for (const width of [40, 78]) for (const line of describeView(view, { width }).split("\n")) expect(line.length, line).toBeLessThanOrEqual(width);
  });

  it("puts what happens, to whom, the verdict's first three reasons and the times on the last screen", async () => {
    const view = await viewOf({ recipient: { name: "Maya Lin", address: "maya@example.com" } as Recipient, more: { flagged: true, flag_reason: "a; decision engine would skip (opted_out); decision engine would skip (user_paused); flagged for review: d" } as never });
    expect(summaryLines(view, 120)).toEqual([
      "─".repeat(40),
      `APPROVE intervention ${view.interventionId}: release this email to Maya Lin <maya@example.com> (user user-1)`,
      "FLAGGED: read why before approving",
      "  - a",
      "  - The decision engine would not plan this: this user opted out of messages.",
      "  - The decision engine would not plan this: this user is paused.",
      "Goes out: Tue 1 Dec 12:00 (in 2 hours)",
      "Request expires Tue 1 Dec 12:00 (in 2 hours)",
    ]);
    expect(summaryLines(view, 30)[0]).toBe("─".repeat(30));
    expect(summaryLines(view, 78, false)[1]).not.toContain("maya@example.com");
    const calm = await viewOf({ more: { quality_checks: checks(["footer", true, "error"]) } as never });
    expect(summaryLines(calm, 78)[2]).toBe("Verdict: Every required quality check passed; not flagged");
  });
});

describe("what happened to a request", () => {
  it("says it in one or two sentences per status", async () => {
    const approve = await rowOf();
    const id = approve.intervention_id;
    expect(outcomeText({ ...approve, status: "pending" })).toBe(`Waiting for a human decision; the request expires at ${approve.expires_at}.`);
    expect(outcomeText({ ...approve, status: "executed", decided_by: "human:page" })).toBe(`Released: ${id} is approved (by human:page) and goes out at or after 2026-12-01T12:00:00.000Z.`);
    expect(outcomeText({ ...approve, status: "executed", decided_by: null })).toBe(`Released: ${id} is approved (by a human) and goes out at or after 2026-12-01T12:00:00.000Z.`);
    expect(outcomeText({ ...approve, status: "approved" })).toBe(
      `Approved, but not released yet: it will be executed by the next retivo-mcp process on this store (a running server within seconds), before ${approve.expires_at}. Nothing has been sent.`,
    );
    const overApi = await rowOf({ backendId: "api:https://api.retivo.ai" });
    expect(outcomeText({ ...overApi, status: "approved" })).toBe(
      `Approved, but not released yet: in API mode a running retivo-mcp server on this store executes it (the key stays in the server), before ${overApi.expires_at}. None has done so yet; nothing has been sent.`,
    );
    expect(outcomeText({ ...approve, status: "denied", decided_by: "alice" })).toBe("Denied by alice. Nothing was released.");
    expect(outcomeText({ ...approve, status: "void", outcome: "it changed since.  " })).toBe("Not released: it changed since. Nothing changed.");
    expect(outcomeText({ ...approve, status: "void", outcome: null })).toBe("Not released: the request is void. Nothing changed.");
    expect(outcomeText({ ...approve, status: "expired", outcome: "expired unanswered" })).toBe("Not released: the request expired unanswered. Nothing changed.");
    expect(outcomeText({ ...approve, status: "expired", outcome: null })).toBe("Not released: the request expired. Nothing changed.");
    expect(outcomeText({ ...approve, status: "failed", outcome: "upstream 503. " })).toBe("Approved, but executing it failed: upstream 503. Nothing was released.");
    expect(outcomeText({ ...approve, status: "failed", outcome: null })).toBe("Approved, but executing it failed: unknown error. Nothing was released.");
    const rollback = await rowOf({ action: "rollback", more: { status: "sent", channel: "webhook" } as never });
    expect(outcomeText({ ...rollback, status: "executed", decided_by: "bob" })).toBe(`Rolled back: ${rollback.intervention_id} is rolled back (by bob); a signed retraction event is sent to the webhook endpoint.`);
  });

  it("says what a rollback can undo on each channel", () => {
    expect(rollbackEffect("in_app")).toBe("the in-app message is withdrawn from the user's inbox");
    expect(rollbackEffect("webhook")).toBe("a signed retraction event is sent to the webhook endpoint");
    expect(rollbackEffect("email")).toBe("an email cannot be unsent: the rollback is recorded, and the recipient keeps the message");
    expect(rollbackEffect("sms")).toBe("the channel retracts what it can");
  });
});

describe("the tier in words", () => {
  it("reads the tier off a stored request: who may approve, who did, and the rule", async () => {
    // A store of its own: the operators added here must not change the other tests' tiers.
    const teamDir = mkdtempSync(join(tmpdir(), "retivo-words-team-"));
    const team = await openStore({ dbPath: join(teamDir, "retivo.db") });
    try {
      await tierOnATeam(team);
    } finally {
      await team.close();
      rmSync(teamDir, { recursive: true, force: true });
    }
  });

  async function tierOnATeam(store: Store): Promise<void> {
    for (const name of ["alice", "bob", "carol"]) await store.operators.add({ name, passphrase: "scrypt$unused", principal: null, created_at: NOW.toISOString() }, { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } });
    const intervention = plannedIntervention("int_wordstier00000001");
    const facts = actionFactsOf("approve", intervention);
    const row = await store.approvals.insert(
      { tenantId: "live", facts, display: displayFactsOf(intervention), hash: actionHash(facts), principal: "local", client: { name: "a", version: "1" }, backendId: "local", channel: "terminal", now: NOW, ttlMs: HOUR, tier: { rule: "three of them", required: 3, excludedOperator: "carol", remindAfterMs: null, escalateAfterMs: null } },
      (inserted) => guardEvent({ event: "approval_requested", actor: "agent:test", approval: inserted, detail: {} }),
    );
    await recordOperatorDecision(store, { approvalId: row.id, operator: "alice", answer: "approve", channel: "cli", vouchedBy: "passphrase", now: NOW });
    await recordOperatorDecision(store, { approvalId: row.id, operator: "bob", answer: "reject", channel: "cli", vouchedBy: "passphrase", now: NOW });
    const view = await tierViewOf(store, (await store.approvals.get(row.id))!);
    expect(view).toEqual({ required: 3, eligible: ["alice", "bob"], given: ["alice"], excluded: "carol", rule: "three of them" });
    const plainFacts = actionFactsOf("approve", plannedIntervention("int_wordstier00000002"));
    const plain = await store.approvals.insert(
      { tenantId: "live", facts: plainFacts, display: displayFactsOf(plannedIntervention("int_wordstier00000002")), hash: actionHash(plainFacts), principal: "local", client: { name: "a", version: "1" }, backendId: "local", channel: "terminal", now: NOW, ttlMs: HOUR, tier: { rule: null, required: 1, excludedOperator: null, remindAfterMs: null, escalateAfterMs: null } },
      (inserted) => guardEvent({ event: "approval_requested", actor: "agent:test", approval: inserted, detail: {} }),
    );
    expect(await tierViewOf(store, plain)).toEqual({ required: 1, eligible: ["alice", "bob", "carol"], given: [], excluded: null, rule: null });
  }

  const tier = (more: Partial<TierView>): TierView => ({ required: 1, eligible: [], given: [], excluded: null, rule: null, ...more });
  it("counts humans without operators, and names operators, approvals given and who is barred", () => {
    expect(tierLine(tier({}))).toBe("needs 1 human; none given yet");
    expect(tierLine(tier({ required: 2 }))).toBe("needs 2 humans; none given yet");
    expect(tierLine(tier({ required: 2, eligible: ["alice", "bob"], given: ["alice"], excluded: "carol" }))).toBe("needs 2 of: alice, bob; 1 given (alice); not carol (the requester's own)");
    expect(tierLine(tier({ required: 3, eligible: ["a", "b", "c"], given: ["a", "b"] }))).toBe("needs 3 of: a, b, c; 2 given (a, b)");
  });
  it("calls a tier a team's only when it says more than one anonymous human", () => {
    expect(isTeamTier(tier({}))).toBe(false);
    expect(isTeamTier(tier({ required: 2 }))).toBe(true);
    expect(isTeamTier(tier({ eligible: ["alice"] }))).toBe(true);
    expect(isTeamTier(tier({ excluded: "carol" }))).toBe(true);
  });
});

describe("the pending result's instructions", () => {
  const cli = (sub: string) => `retivo-mcp approvals ${sub} --db /x/retivo.db`;
  it("names the terminal, the page, both, or neither, and how to refuse", async () => {
    const row = await rowOf();
    const what = `release ${row.intervention_id}`;
    const expires = ` The request expires at ${row.expires_at}.`;
    const refuse = ` To refuse, run \`retivo-mcp approvals deny ${row.id} --db /x/retivo.db\`.`;
    expect(pendingApprovalFor(row, null, cli)).toEqual({
      status: "pending_approval",
      approval_id: row.id,
      action: "approve",
      intervention_id: row.intervention_id,
      expires_at: row.expires_at,
      instructions: `To ${what}, run \`retivo-mcp approvals approve ${row.id} --db /x/retivo.db\` in your own terminal; it shows the exact message and asks you to confirm. Your decision takes effect at once.${refuse}${expires}`,
      approval_url: null,
    });
    expect(pendingApprovalFor(row, "http://127.0.0.1:9/approvals/x?token=t", cli).instructions).toBe(
      `To ${what}, run \`retivo-mcp approvals approve ${row.id} --db /x/retivo.db\` in your own terminal or open http://127.0.0.1:9/approvals/x?token=t; either shows the exact message and asks for the operator passphrase. Your decision takes effect at once.${refuse}${expires}`,
    );
    expect(pendingApprovalFor(row, "http://127.0.0.1:9/approvals/x?token=t", undefined)).toMatchObject({
      instructions: `To ${what}, open http://127.0.0.1:9/approvals/x?token=t; it shows the exact message and asks for the operator passphrase. Your decision takes effect at once.${expires}`,
      approval_url: "http://127.0.0.1:9/approvals/x?token=t",
    });
    expect(pendingApprovalFor(row, null, undefined).instructions).toBe(
      `To ${what}, use a client that can show approval forms, or restart the server on a store file (RETIVO_DB): this server keeps its store in memory, so no terminal can see the request. Your decision takes effect at once.${expires}`,
    );
  });

  it("tells a team's human the tier and to name themselves", async () => {
    const row = await rowOf({ action: "rollback", more: { status: "sent" } as never });
    const team: TierView = { required: 2, eligible: ["alice", "bob"], given: [], excluded: null, rule: "two" };
    expect(pendingApprovalFor(row, null, cli, team).instructions).toBe(
      `This request needs 2 of: alice, bob; none given yet. To roll back ${row.intervention_id}, run \`retivo-mcp approvals approve ${row.id} --as NAME --db /x/retivo.db\` in your own terminal; it shows the exact message and asks you to confirm. It takes effect when the last approval needed is in. To refuse, run \`retivo-mcp approvals deny ${row.id} --as NAME --db /x/retivo.db\`. The request expires at ${row.expires_at}.`,
    );
    const anonymousTeam: TierView = { ...team, eligible: [] };
    expect(pendingApprovalFor(row, null, cli, anonymousTeam).instructions).toContain(`approve ${row.id} --db`);
  });
});
