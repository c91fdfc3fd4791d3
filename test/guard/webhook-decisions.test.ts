/**
 * Decisions through the approval webhook, over real sockets: a real MCP
 * client asks a `serve --http` server (real SQLite file) to approve a live
 * webhook with an offer under a 2-of-3 policy, and a loopback chat tool posts
 * signed decisions back to POST /approvals/{id}/decisions. A decision counts
 * like one from the page or the CLI; a replayed one (same nonce), an old
 * timestamp, a bad signature, an unknown operator and the requester's own
 * operator are refused with a JSON error and change nothing; the second
 * operator's approval releases the intervention once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "../store/support/postgres.js";
import { startChatTool, type ChatTool } from "../support/chat-tool.js";
import type { HttpHarness } from "../transport/helpers.js";
import { decisionsUrl, pendingApproval, teamServer, WEBHOOK_SECRET as SECRET } from "./team-server.js";

let h: HttpHarness | undefined;
let other: HttpHarness | undefined;
let chat: ChatTool | undefined;
let database: PostgresTarget | undefined;
afterEach(async () => {
  await h?.close();
  await other?.close();
  await chat?.close();
  await database?.close();
  h = other = chat = database = undefined;
});

describe("signed decisions through the approval webhook", () => {
  it("counts alice, refuses a replay, an old timestamp, a bad signature, strangers and the requester's own, and releases once at bob", async () => {
    chat = await startChatTool(SECRET);
    h = await teamServer(chat.url, ["alice", "bob", "carol"]);
    const store = h.runtime.store;
    const { interventionId, approvalId, agent } = await pendingApproval(h);
    const url = decisionsUrl(h, approvalId);
    const decisions = () => store.approvals.decisionsOf(approvalId);

    const byAlice = await chat.decide(url, { operator: "alice", decision: "approve", note: "checked in #approvals" });
    expect(byAlice.status).toBe(200);
    expect(byAlice.body).toMatchObject({ status: "pending", tier: "needs 2 of: alice, bob; 1 given (alice); not carol (the requester's own)", outcome: null });

    // The same bytes again, captured off the wire: the nonce was used.
    const replay = await chat.decide(url, { operator: "alice", decision: "approve" }, { replay: byAlice.sent });
    expect(replay.status).toBe(409);
    expect(replay.body.error).toBe("replayed");

    // bob, but signed six minutes ago (a fresh nonce, a valid signature).
    const old = await chat.decide(url, { operator: "bob", decision: "approve" }, { skewSeconds: -360 });
    expect(old.status).toBe(401);
    expect(old.body.error).toBe("stale_timestamp");
    expect(old.body.message).toMatch(/within 5 minutes/);

    const forged = await chat.decide(url, { operator: "bob", decision: "approve" }, { secret: "an attacker's guess at the secret, 0123" });
    expect(forged.status).toBe(401);
    expect(forged.body.error).toBe("bad_signature");
    expect(forged.body.message).toMatch(/HMAC-SHA256/);

    const stranger = await chat.decide(url, { operator: "mallory", decision: "approve" });
    expect(stranger.status).toBe(422);
    expect(stranger.body.message).toMatch(/no operator named mallory; nothing was recorded/);

    const own = await chat.decide(url, { operator: "carol", decision: "approve" });
    expect(own.status).toBe(403);
    expect(own.body.error).toBe("excluded");

    const again = await chat.decide(url, { operator: "alice", decision: "approve" });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe("repeated");

    const malformed = await chat.decide(url, { operator: "bob", decision: "maybe" as "approve" });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/decision: .*Expected \{operator, decision/);

    // Nothing of that changed the request: still alice alone, still pending.
    expect((await decisions()).map((d) => d.operator)).toEqual(["alice"]);
    expect((await store.approvals.get(approvalId))!.status).toBe("pending");
    expect((await store.interventions.get("live", interventionId))!.status).toBe("planned");

    const byBob = await chat.decide(url, { operator: "bob", decision: "approve" });
    expect(byBob.status).toBe(200);
    expect(byBob.body.status).toBe("executed");
    expect((await store.interventions.get("live", interventionId))!.status).toBe("approved");
    expect((await decisions()).map((d) => [d.operator, d.channel, d.vouched_by])).toEqual([
      ["alice", "webhook", "webhook-signature"],
      ["bob", "webhook", "webhook-signature"],
    ]);

    // Too late now, however well signed.
    const late = await chat.decide(url, { operator: "carol", decision: "reject" });
    expect(late.status).toBe(409);

    const trail = await store.audit.trail(interventionId);
    const refusals = trail.filter((row) => row.event === "approval_refused").map((row) => (JSON.parse(String(row.detail)) as { reason: string }).reason);
    expect(refusals).toEqual(expect.arrayContaining(["replayed", "stale_timestamp", "bad_signature", "unknown_operator", "excluded", "repeated"]));
    expect(trail.filter((row) => row.event === "approval_executed")).toHaveLength(1);

    // The agent's next call reports what the humans decided.
    const reported = await agent.ok<{ status: string }>("approve_intervention", { intervention_id: interventionId });
    expect(reported.status).toBe("approved");
  }, 60_000);

  it("answers an unknown request, a GET and a form post with a JSON error", async () => {
    chat = await startChatTool(SECRET);
    h = await teamServer(chat.url, ["alice", "bob", "carol"]);
    const unknown = await chat.decide(decisionsUrl(h, "apr_nosuchrequest"), { operator: "alice", decision: "approve" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("not_found");
    const get = await fetch(decisionsUrl(h, "apr_x"));
    expect(get.status).toBe(405);
    const form = await fetch(decisionsUrl(h, "apr_x"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "operator=alice" });
    expect(form.status).toBe(415);
    expect(((await form.json()) as { message: string }).message).toMatch(/application\/json/);
  }, 30_000);

  it("wants the flag acknowledged before approving a flagged intervention, and a named operator's reject ends the request", async () => {
    chat = await startChatTool(SECRET);
    h = await teamServer(chat.url, ["alice", "bob", "carol"]);
    const store = h.runtime.store;
    const agent = await h.connect();
    const playbook = (await store.catalog.playbooks("live")).find((p) => p.name === "Churn Risk Rescue")!;
    const created = await agent.ok<{ id: string }>("create_intervention", { user_id: "user-1", playbook_id: playbook.id, channel: "webhook" });
    await agent.ok("flag_intervention", { intervention_id: created.id, reason: "the offer looks too generous" });
    const pending = await agent.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: created.id });
    const url = decisionsUrl(h, pending.approval.approval_id);

    const unacknowledged = await chat.decide(url, { operator: "alice", decision: "approve" });
    expect(unacknowledged.status).toBe(422);
    expect(unacknowledged.body.message).toMatch(/acknowledge the flag.*"acknowledge_flag": true/);
    expect(await store.approvals.decisionsOf(pending.approval.approval_id)).toEqual([]);
    const acknowledged = await chat.decide(url, { operator: "alice", decision: "approve", acknowledge_flag: true });
    expect(acknowledged.body.status).toBe("pending");

    const rejected = await chat.decide(url, { operator: "bob", decision: "reject", note: "too generous indeed" });
    expect(rejected.status).toBe(200);
    expect(rejected.body.status).toBe("denied");
    const refused = await agent.call("approve_intervention", { intervention_id: created.id });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toMatch(/denied/);
    expect((await store.interventions.get("live", created.id))!.status).toBe("planned");
  }, 60_000);

  it("holds on two replicas of one PostgreSQL store: a decision taken by one is a replay on the other, and the quorum is shared", async () => {
    database = REAL_SERVER_URL ? await startRealServer(REAL_SERVER_URL) : await startPglite();
    chat = await startChatTool(SECRET);
    const shared = { RETIVO_DATABASE_URL: database.url, RETIVO_DATABASE_POOL_SIZE: "4" };
    h = await teamServer(chat.url, ["alice", "bob", "carol"], shared);
    other = await teamServer(chat.url, [], shared);
    const { interventionId, approvalId } = await pendingApproval(h);

    const byAlice = await chat.decide(decisionsUrl(other, approvalId), { operator: "alice", decision: "approve" });
    expect(byAlice.body).toMatchObject({ status: "pending" });
    const replayed = await chat.decide(decisionsUrl(h, approvalId), { operator: "alice", decision: "approve" }, { replay: byAlice.sent });
    expect(replayed.status).toBe(409);
    expect(replayed.body.error).toBe("replayed");
    const byBob = await chat.decide(decisionsUrl(h, approvalId), { operator: "bob", decision: "approve" });
    expect(byBob.body.status).toBe("executed");
    expect((await other.runtime.store.interventions.get("live", interventionId))!.status).toBe("approved");
    expect((await h.runtime.store.audit.trail(interventionId)).filter((row) => row.event === "approval_executed")).toHaveLength(1);
  }, 120_000);
});
