/**
 * Approval notices out through the webhook sink, to a loopback chat tool
 * that checks every signature with its own HMAC: the payload a Slack or
 * Teams workflow can relay (a one-line `text`, structured fields, the page
 * link and the decisions URL through RETIVO_PUBLIC_URL), hostile client
 * strings sanitized, `send` returning before delivery, retries with the same
 * delivery id and a fresh signature, a final failure logged and audited, and
 * the round trip: the chat tool reads a real request's notice and posts the
 * signed decision back, which counts.
 */
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { tierLine, tierViewOf } from "../../src/guard/tier-text.js";
import type { ApprovalNotice } from "../../src/guard/notices.js";
import { createWebhookSink, type WebhookSink } from "../../src/guard/webhook-sink.js";
import type { ApprovalRow, Store } from "../../src/store/index.js";
import { startChatTool, type ChatTool } from "../support/chat-tool.js";
import type { HttpHarness } from "../transport/helpers.js";
import { pendingApproval, teamServer, WEBHOOK_SECRET } from "./team-server.js";
import { freePort } from "../support/ports.js";

let chat: ChatTool | undefined;
let h: HttpHarness | undefined;
let sink: WebhookSink | undefined;
afterEach(async () => {
  await sink?.close();
  await h?.close();
  await chat?.close();
  sink = h = chat = undefined;
});

/** The notice the guard makes of a stored request (its fields as the guard's notices carry them). */
async function noticeOf(store: Store, row: ApprovalRow, kind: ApprovalNotice["kind"], pageUrl?: string): Promise<ApprovalNotice> {
  const tier = await tierViewOf(store, row);
  return {
    kind,
    request: {
      approval_id: row.id,
      action: row.action,
      intervention_id: row.intervention_id,
      channel: (JSON.parse(row.facts) as { channel: string }).channel,
      status: row.status,
      requested_by: `${row.client_name} ${row.client_version}`,
      tier: tierLine(tier),
      required: tier.required,
      given: tier.given,
      eligible: tier.eligible,
      rule: tier.rule,
      expires_at: row.expires_at,
      outcome: row.outcome,
    },
    ...(pageUrl ? { pageUrl } : {}),
    at: new Date().toISOString(),
  };
}

const HOSTILE: ApprovalNotice = {
  kind: "reminder",
  request: {
    approval_id: "apr_hostile",
    action: "approve",
    intervention_id: "int_1",
    channel: "webhook",
    status: "pending",
    requested_by: "agent\n*APPROVED by alice*\u001b[2J\u202e 1.0",
    tier: "needs 2 of: alice, bob; none given yet",
    required: 2,
    given: [],
    eligible: ["alice", "bob"],
    rule: "live webhooks with offers",
    expires_at: "2026-12-01T18:00:00.000Z",
    outcome: null,
  },
  at: "2026-12-01T17:00:00.000Z",
};

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
  return { logger: createLogger("info", stream), lines };
}

describe("approval notices through the webhook", () => {
  it("posts a relayable, signed payload, sanitized, without waiting for the receiver", async () => {
    chat = await startChatTool(WEBHOOK_SECRET);
    h = await teamServer(chat.url, ["alice", "bob", "carol"]);
    sink = createWebhookSink({ store: h.runtime.store, logger: h.runtime.logger, webhook: { url: chat.url, secret: WEBHOOK_SECRET }, publicUrl: "https://mcp.example.com" });
    await sink.send(HOSTILE);
    expect(chat.notices).toHaveLength(0); // queued, not yet delivered: the caller did not wait
    await sink.idle();
    expect(chat.notices).toHaveLength(1);
    const [notice] = chat.notices;
    expect(notice!.signatureValid).toBe(true);
    expect(notice!.deliveryId).toMatch(/^ntc_/);
    expect(notice!.body).toMatchObject({
      type: "approval.reminder",
      delivery_id: notice!.deliveryId,
      approval: { id: "apr_hostile", intervention_id: "int_1", tier: "needs 2 of: alice, bob; none given yet", required: 2, eligible: ["alice", "bob"] },
      page_url: null,
      decisions_url: "https://mcp.example.com/approvals/apr_hostile/decisions",
    });
    expect(notice!.body.text).toBe("Reminder: approval still needed: approve of int_1 (webhook), needs 2 of: alice, bob; none given yet; expires 2026-12-01T18:00:00.000Z.");
    const requestedBy = (notice!.body.approval as { requested_by: string }).requested_by;
    expect(requestedBy).not.toMatch(/[\n\u001b\u202e]/);
    expect(requestedBy).toContain("*APPROVED by alice*"); // shown as data, on the same line
  }, 30_000);

  it("retries 503s with backoff under one delivery id, and gives up on a 400 at once", async () => {
    chat = await startChatTool(WEBHOOK_SECRET);
    h = await teamServer(chat.url, ["alice", "bob", "carol"]);
    sink = createWebhookSink({ store: h.runtime.store, logger: h.runtime.logger, webhook: { url: chat.url, secret: WEBHOOK_SECRET }, backoffMs: 50 });
    let answered = 0;
    chat.answerWith(() => (++answered <= 2 ? 503 : 200));
    await sink.send(HOSTILE);
    await sink.idle();
    expect(chat.notices).toHaveLength(3);
    expect(new Set(chat.notices.map((n) => n.deliveryId)).size).toBe(1);
    expect(chat.notices.every((n) => n.signatureValid)).toBe(true);

    chat.answerWith(() => 400);
    await sink.send({ ...HOSTILE, kind: "escalation" });
    await sink.idle();
    expect(chat.notices).toHaveLength(4);
  }, 30_000);

  it("logs and audits a notice that never got through, after a bounded number of attempts", async () => {
    chat = await startChatTool(WEBHOOK_SECRET);
    chat.answerWith(() => 500);
    h = await teamServer(chat.url, ["alice", "bob", "carol"]);
    const { logger, lines } = capturingLogger();
    sink = createWebhookSink({ store: h.runtime.store, logger, webhook: { url: chat.url, secret: WEBHOOK_SECRET }, backoffMs: 20, maxAttempts: 3 });
    await sink.send(HOSTILE);
    await sink.idle();
    expect(chat.notices).toHaveLength(3);
    expect(lines.find((line) => line.msg === "the approval webhook notice could not be delivered")).toMatchObject({ attempts: 3, error: "answered 500", approvalId: "apr_hostile" });
    const audit = (await h.runtime.store.audit.recent(20)).find((row) => row.event === "approval_notice_failed");
    expect(JSON.parse(String(audit!.detail))).toMatchObject({ approval_id: "apr_hostile", sink: "approval-webhook", notice: "reminder", attempts: 3, error: "answered 500" });

    // Nobody listening at all: connection refused, retried, then given up the same way.
    const closedPort = await freePort();
    const dead = createWebhookSink({ store: h.runtime.store, logger, webhook: { url: `http://127.0.0.1:${closedPort}/x`, secret: WEBHOOK_SECRET }, backoffMs: 20, maxAttempts: 2 });
    await dead.send(HOSTILE);
    await dead.idle();
    await dead.close();
    expect(lines.filter((line) => line.msg === "the approval webhook notice could not be delivered").at(-1)).toMatchObject({ attempts: 2, error: "ECONNREFUSED" });
  }, 30_000);

  it("round trip: the chat tool reads a real request's notice, and the signed decision it posts back counts", async () => {
    chat = await startChatTool(WEBHOOK_SECRET);
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    h = await teamServer(chat.url, ["alice", "bob", "carol"], { RETIVO_PUBLIC_URL: publicUrl }, { port });
    const store = h.runtime.store;
    const { approvalId } = await pendingApproval(h);
    sink = createWebhookSink({ store, logger: h.runtime.logger, webhook: { url: chat.url, secret: WEBHOOK_SECRET }, publicUrl });
    await sink.send(await noticeOf(store, (await store.approvals.get(approvalId))!, "requested"));
    await sink.idle();
    const notice = chat.notices.at(-1)!;
    expect(notice.signatureValid).toBe(true);
    expect(notice.body.text).toMatch(/^Approval needed: approve of int_\S+ \(webhook\), needs 2 of: alice, bob; none given yet; not carol \(the requester's own\); expires /);
    const reply = await chat.decide(String(notice.body.decisions_url), { operator: "alice", decision: "approve", note: "from #approvals" });
    expect(reply.status).toBe(200);
    expect(reply.body.tier).toBe("needs 2 of: alice, bob; 1 given (alice); not carol (the requester's own)");
  }, 30_000);
});
