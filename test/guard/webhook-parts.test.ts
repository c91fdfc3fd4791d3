/**
 * The approval webhook's signature (src/guard/webhook-signature.ts) and the
 * body it posts (webhook-payload.ts), exactly: what a receiver must compute
 * to check a notice, what it may refuse as stale, and the words and fields a
 * chat relays. webhook-notices.test.ts and webhook-decisions.test.ts run the
 * same over real HTTP against a receiver.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ApprovalNotice } from "../../src/guard/notices.js";
import { webhookPayloadOf } from "../../src/guard/webhook-payload.js";
import { DELIVERY_HEADER, isFresh, isValidSignature, REPLAY_WINDOW_MS, SIGNATURE_HEADER, signatureOf, signedHeaders, TIMESTAMP_HEADER, unixSeconds } from "../../src/guard/webhook-signature.js";

const SECRET = "a shared secret of the team";
const NOW = new Date("2026-12-01T10:00:00.750Z");

describe("the webhook's signature", () => {
  it("is HMAC-SHA256 of '<timestamp>.<body>', hex, after 'v1='", () => {
    const expected = createHmac("sha256", SECRET).update('1796119200.{"a":1}').digest("hex");
    expect(signatureOf(SECRET, "1796119200", '{"a":1}')).toBe(`v1=${expected}`);
  });

  it("signs a POST with the timestamp in whole seconds, the delivery id when given, as JSON", () => {
    const body = '{"type":"approval.requested"}';
    expect(unixSeconds(NOW)).toBe(1796119200);
    expect(signedHeaders(SECRET, body, NOW, "dlv_1")).toEqual({
      "content-type": "application/json",
      [TIMESTAMP_HEADER]: "1796119200",
      [SIGNATURE_HEADER]: signatureOf(SECRET, "1796119200", body),
      [DELIVERY_HEADER]: "dlv_1",
    });
    expect(signedHeaders(SECRET, body, NOW)).not.toHaveProperty(DELIVERY_HEADER);
    expect([SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER]).toEqual(["x-retivo-signature", "x-retivo-timestamp", "x-retivo-delivery"]);
  });

  it("accepts only the exact signature of this timestamp and body, padding aside", () => {
    const body = '{"decision":"approve"}';
    const good = signatureOf(SECRET, "1796119200", body);
    expect(isValidSignature(SECRET, "1796119200", body, good)).toBe(true);
    expect(isValidSignature(SECRET, "1796119200", body, ` ${good}\n`)).toBe(true);
    expect(isValidSignature(SECRET, "1796119201", body, good)).toBe(false);
    expect(isValidSignature(SECRET, "1796119200", `${body} `, good)).toBe(false);
    expect(isValidSignature("another secret", "1796119200", body, good)).toBe(false);
    expect(isValidSignature(SECRET, "1796119200", body, good.slice(0, -1))).toBe(false);
    expect(isValidSignature(SECRET, "1796119200", body, good.replace("v1=", "v2="))).toBe(false);
    expect(isValidSignature(SECRET, undefined, body, good)).toBe(false);
    expect(isValidSignature(SECRET, "1796119200", body, undefined)).toBe(false);
    expect(isValidSignature(SECRET, "", body, good)).toBe(false);
  });

  it("takes a timestamp as fresh within five minutes either way, and nothing that is not a whole number", () => {
    const seconds = unixSeconds(NOW);
    expect(REPLAY_WINDOW_MS).toBe(300_000);
    const at = new Date(seconds * 1000);
    expect(isFresh(seconds, at)).toBe(true);
    expect(isFresh(seconds - 300, at)).toBe(true);
    expect(isFresh(seconds + 300, at)).toBe(true);
    expect(isFresh(seconds - 301, at)).toBe(false);
    expect(isFresh(seconds + 301, at)).toBe(false);
    expect(isFresh(seconds + 0.5, at)).toBe(false);
    expect(isFresh(Number.NaN, at)).toBe(false);
  });
});

const notice = (more: Partial<ApprovalNotice> = {}, request: Partial<ApprovalNotice["request"]> = {}): ApprovalNotice => ({
  kind: "requested",
  at: "2026-12-01T10:00:00.000Z",
  request: {
    approval_id: "apr_team0000000000001",
    action: "approve",
    intervention_id: "int_r7m20jbsn2vs9y5iftwv",
    channel: "email",
    status: "pending",
    requested_by: "triage-agent 2.1",
    tier: "needs 2 of: alice, bob; 1 given (alice)",
    required: 2,
    given: ["alice"],
    eligible: ["alice", "bob"],
    rule: "two of them",
    expires_at: "2026-12-01T11:00:00.000Z",
    outcome: null,
    ...request,
  },
  ...more,
});

describe("the webhook's body", () => {
  it("gives a chat one line and a workflow the fields, the page and where to post a decision", () => {
    expect(webhookPayloadOf(notice({ pageUrl: "https://mcp.example.com/approvals/apr_team0000000000001?token=t" }), "dlv_1", "https://mcp.example.com")).toEqual({
      type: "approval.requested",
      delivery_id: "dlv_1",
      text: "Approval needed: approve of int_r7m20jbsn2vs9y5iftwv (email), needs 2 of: alice, bob; 1 given (alice); expires 2026-12-01T11:00:00.000Z. Open: https://mcp.example.com/approvals/apr_team0000000000001?token=t",
      approval: {
        id: "apr_team0000000000001",
        action: "approve",
        intervention_id: "int_r7m20jbsn2vs9y5iftwv",
        channel: "email",
        status: "pending",
        requested_by: "triage-agent 2.1",
        tier: "needs 2 of: alice, bob; 1 given (alice)",
        required: 2,
        given: ["alice"],
        eligible: ["alice", "bob"],
        rule: "two of them",
        expires_at: "2026-12-01T11:00:00.000Z",
        outcome: null,
      },
      page_url: "https://mcp.example.com/approvals/apr_team0000000000001?token=t",
      decisions_url: "https://mcp.example.com/approvals/apr_team0000000000001/decisions",
      at: "2026-12-01T10:00:00.000Z",
    });
  });

  it("heads each kind in its own words; an outcome says how it ended and takes no decision", () => {
    expect(webhookPayloadOf(notice({ kind: "reminder" }), "d", undefined).text).toMatch(/^Reminder: approval still needed: approve of /);
    expect(webhookPayloadOf(notice({ kind: "escalation" }), "d", undefined).text).toMatch(/^Escalated: approval still needed: /);
    const ended = webhookPayloadOf(notice({ kind: "outcome" }, { status: "void", outcome: "the intervention changed" }), "d", "https://mcp.example.com");
    expect(ended).toMatchObject({ type: "approval.outcome", text: "Approval decided: approve of int_r7m20jbsn2vs9y5iftwv (email), void: the intervention changed.", decisions_url: null, page_url: null });
    expect(ended.approval.outcome).toBe("the intervention changed");
    expect(webhookPayloadOf(notice({ kind: "outcome" }, { status: "executed" }), "d", undefined).text).toBe("Approval decided: approve of int_r7m20jbsn2vs9y5iftwv (email), executed.");
    expect(webhookPayloadOf(notice(), "d", undefined).decisions_url).toBeNull();
  });

  it("keeps every relayed string to one sanitized line, and the rule null when there is none", () => {
    const hostile = webhookPayloadOf(notice({}, { requested_by: "agent\n*Approved by the CEO*\u202E", rule: null, outcome: null, given: ["al\nice"] }), "d", undefined);
    expect(hostile.approval.requested_by).toBe("agent ⏎ *Approved by the CEO*\\u202e");
    expect(hostile.approval.given).toEqual(["al ⏎ ice"]);
    expect(hostile.approval.rule).toBeNull();
    expect(webhookPayloadOf(notice({}, { approval_id: "apr_a/b c" }), "d", "https://x").decisions_url).toBe("https://x/approvals/apr_a%2Fb%20c/decisions");
  });
});
