/**
 * Every tool through the SDK's Streamable HTTP client against the real server:
 * reads, writes, form elicitation during approve and rollback (the request
 * travels server → client inside the tool call's HTTP session), and approvals
 * that stay bound to the session that asked for them.
 */
import { ElicitRequestSchema, type ElicitRequest, type ElicitRequestFormParams } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { answerApproval } from "../../src/guard/human-answer.js";
import { fixturesFrom } from "../contract/harness.js";
import { seededId, storedStatus } from "../support/harness.js";
import { acceptConfirmed } from "../guard/helpers.js";
import { rawRequest, startHttpHarness, type HttpHarness } from "./helpers.js";

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Pending {
  id: string;
  status: string;
  approval?: { status: "pending_approval"; approval_id: string; approval_url: string | null };
}

describe("tools over Streamable HTTP", () => {
  it("lists every tool and runs list, get, dry-run, create, pause, reject and flag", async () => {
    h = await startHttpHarness();
    const c = await h.connect();
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "approve_intervention",
      "create_intervention",
      "dry_run_intervention",
      "flag_intervention",
      "get_intervention",
      "list_interventions",
      "pause_intervention",
      "reject_intervention",
      "rollback_intervention",
    ]);

    const page = await c.ok<{ interventions: Array<{ id: string; status: string }> }>("list_interventions", { limit: 5, status: "planned" });
    expect(page.interventions.length).toBeGreaterThan(0);
    expect(page.interventions.every((i) => i.status === "planned")).toBe(true);

    const first = page.interventions[0]!.id;
    expect(await c.ok("get_intervention", { intervention_id: first })).toMatchObject({ intervention: { id: first, status: "planned" } });

    const fixtures = await fixturesFrom(h.runtime.store, "live");
    const dryRun = await c.ok<{ decision: { action: string } }>("dry_run_intervention", { user_id: fixtures.userId });
    expect(typeof dryRun.decision.action).toBe("string");
    // Dry-run writes nothing.
    expect(storedStatus(h.runtime, first).status).toBe("planned");

    const created = await c.ok<{ id: string; status: string }>("create_intervention", {
      user_id: fixtures.userId,
      playbook_id: fixtures.playbookId,
      channel: fixtures.channel,
    });
    expect(created.status).toBe("planned");
    expect(storedStatus(h.runtime, created.id).status).toBe("planned");

    expect(await c.ok("flag_intervention", { intervention_id: created.id, reason: "tone check over HTTP" })).toMatchObject({ id: created.id });
    expect(storedStatus(h.runtime, created.id).flagged).toBe(1);

    expect(await c.ok("pause_intervention", { intervention_id: created.id })).toMatchObject({ id: created.id, status: "paused" });
    expect(await c.ok("reject_intervention", { intervention_id: created.id, reason: "not needed" })).toMatchObject({ status: "rejected" });
    expect(storedStatus(h.runtime, created.id).status).toBe("rejected");

    // Tool errors come back as isError results over HTTP too, never as transport failures.
    const missing = await c.call("get_intervention", { intervention_id: "int_does_not_exist" });
    expect(missing.isError).toBe(true);
  });

  it("approves and rolls back after the human accepts a form elicitation sent during the call", async () => {
    h = await startHttpHarness();
    const asked: ElicitRequest[] = [];
    const c = await h.connect({ onElicit: (request) => (asked.push(request), acceptConfirmed(request)) });

    const planned = seededId(h.runtime, "planned", "AND flagged = 0");
    expect(await c.ok("approve_intervention", { intervention_id: planned })).toMatchObject({ id: planned, status: "approved" });
    expect(storedStatus(h.runtime, planned).status).toBe("approved");
    const form = asked[0]!.params as ElicitRequestFormParams;
    expect(form.message).toContain(planned);
    expect(form.requestedSchema.properties).toHaveProperty("confirm");

    const delivered = seededId(h.runtime, "delivered");
    expect(await c.ok("rollback_intervention", { intervention_id: delivered, reason: "sent to the wrong account" })).toMatchObject({
      id: delivered,
      status: "rolled_back",
    });
    expect(asked).toHaveLength(2);
    expect(storedStatus(h.runtime, delivered).status).toBe("rolled_back");
  });

  it("refuses when the human declines over HTTP, changing nothing", async () => {
    h = await startHttpHarness();
    const c = await h.connect({ onElicit: () => ({ action: "decline" }) });
    const planned = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, planned);
    const result = await c.call("approve_intervention", { intervention_id: planned });
    expect(result.isError).toBe(true);
    expect(storedStatus(h.runtime, planned)).toEqual(before);
  });

  it("binds a request to the principal, not the HTTP session: a new session finds it, and the human's decision releases it", async () => {
    h = await startHttpHarness({ env: { RETIVO_MCP_TOKEN: "t".repeat(32) } });
    const first = await h.connect({ name: "alice", token: "t".repeat(32) });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const pending = await first.ok<Pending>("approve_intervention", { intervention_id: id });
    const approvalId = pending.approval!.approval_id;
    // The client goes away without a trace (a restarted IDE): its session ends with it.
    await first.transport.terminateSession();
    await first.client.close();

    const again = await h.connect({ name: "alice", token: "t".repeat(32) });
    expect(again.transport.sessionId).not.toBe(first.transport.sessionId);
    const found = await again.ok<Pending>("approve_intervention", { intervention_id: id });
    expect(found.approval?.approval_id).toBe(approvalId);

    // A human approves (what `retivo-mcp approvals approve` records); any running server releases it.
    expect((await answerApproval(h.runtime.store, approvalId, { approve: true, via: "cli", answer: "approve" })).ok).toBe(true);
    await expect.poll(() => storedStatus(h!.runtime, id).status, { timeout: 10_000 }).toBe("approved");
    const report = await again.call("approve_intervention", { intervention_id: id });
    expect(report.structuredContent).toEqual({ id, status: "approved" });
    expect(JSON.stringify(report.content)).toContain(`approval ${approvalId}`);
  });

  it("serves the guard's approval page on the same server (GET shows, changes nothing)", async () => {
    h = await startHttpHarness();
    const c = await h.connect({ capabilities: { elicitation: { url: {} } } });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    // URL mode: the guard hands the client a link to this server's /approvals/ page. The
    // scripted human opens it while the request is still open, then closes the dialog.
    let url: string | undefined;
    let page: Awaited<ReturnType<typeof rawRequest>> | undefined;
    c.client.setRequestHandler(ElicitRequestSchema, async (request) => {
      url = (request.params as { url?: string }).url;
      if (url) page = await rawRequest(url);
      return { action: "cancel" };
    });
    await c.call("approve_intervention", { intervention_id: id });
    expect(url).toBeDefined();
    expect(url!.startsWith(h.url.replace(/\/mcp$/, "/approvals/"))).toBe(true);
    expect(page?.status).toBe(200);
    expect(page?.headers["content-type"]).toMatch(/text\/html/);
    expect(page?.body).toContain(id);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
  });
});
