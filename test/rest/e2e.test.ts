/**
 * End to end over real HTTP: the MCP server in API mode (RETIVO_API_URL and an
 * rt_test_ key) against `retivo-mcp api` on 127.0.0.1, every tool through a
 * real MCP client. The human is the client's form-elicitation handler, which
 * ticks confirm (and the flag acknowledgement) and accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptEverything, startHarness, type Harness } from "../support/harness.js";
import { fixturesFrom } from "../contract/harness.js";
import type { ContractFixtures } from "../contract/harness.js";
import { startTestServer, TEST_KEY, type TestServer } from "./support.js";

let rest: TestServer;
let mcp: Harness;
let fixtures: ContractFixtures;
const elicited: string[] = [];

/** The REST server's own record of an intervention: what the API really holds. */
const upstream = async (id: string) => (await rest.call("GET", `/api/interventions/${id}`)).body as { status: string; flagged: boolean };

beforeAll(async () => {
  rest = await startTestServer();
  fixtures = await fixturesFrom(rest.store, "test");
  mcp = await startHarness({
    env: { RETIVO_API_URL: rest.server.url, RETIVO_API_KEY: TEST_KEY },
    onElicit: (request) => {
      elicited.push(request.params.message);
      return acceptEverything(request);
    },
  });
});
afterAll(async () => {
  await mcp?.close();
  await rest?.close();
});

describe("MCP server on the Retivo API (test key) against retivo-mcp api", () => {
  it("runs in api-test mode and says so in its instructions", () => {
    expect(mcp.runtime.backend.mode).toBe("api-test");
    expect(mcp.client.getInstructions()).toContain("TEST key");
  });

  it("lists, pages and filters through the API", async () => {
    const first = await mcp.ok<{ interventions: { id: string }[]; next_cursor: string | null }>("list_interventions", { limit: 5 });
    expect(first.interventions).toHaveLength(5);
    const second = await mcp.ok<{ interventions: { id: string }[] }>("list_interventions", { limit: 5, cursor: first.next_cursor });
    expect(second.interventions.filter((r) => first.interventions.some((f) => f.id === r.id))).toEqual([]);
    const paused = await mcp.ok<{ interventions: { status: string }[] }>("list_interventions", { status: "paused", limit: 50 });
    expect(paused.interventions.every((r) => r.status === "paused")).toBe(true);
  });

  it("dry-runs without persisting", async () => {
    const before = (await rest.call("GET", "/api/interventions?limit=500")).body.interventions.length;
    const result = await mcp.ok<{ dry_run: boolean; decision: { action: string } }>("dry_run_intervention", { user_id: fixtures.userId });
    expect(result.dry_run).toBe(true);
    expect((await rest.call("GET", "/api/interventions?limit=500")).body.interventions.length).toBe(before);
  });

  it("creates, flags, pauses, approves with the human, delivers and rolls back", async () => {
    const created = await mcp.ok<{ id: string; status: string }>("create_intervention", {
      user_id: fixtures.userId,
      playbook_id: fixtures.playbookId,
      channel: fixtures.channel,
    });
    expect(created.status).toBe("planned");
    const { id } = created;
    expect(await mcp.ok("get_intervention", { intervention_id: id })).toMatchObject({ intervention: { id, status: "planned" } });

    expect(await mcp.ok("flag_intervention", { intervention_id: id, reason: "check the tone" })).toMatchObject({ id, flagged: true });
    expect(await mcp.ok("pause_intervention", { intervention_id: id })).toMatchObject({ id, status: "paused" });

    const asked = elicited.length;
    expect(await mcp.ok("approve_intervention", { intervention_id: id })).toMatchObject({ id, status: "approved" });
    expect(elicited.length).toBe(asked + 1); // the human was asked exactly once
    expect(await upstream(id)).toMatchObject({ status: "approved", flagged: true });

    await rest.server.dispatcher.runOnce(); // the test data set's delivery is simulated
    expect((await upstream(id)).status).toBe("delivered");

    expect(await mcp.ok("rollback_intervention", { intervention_id: id, reason: "wrong segment" })).toMatchObject({ id, status: "rolled_back" });
    expect(elicited.length).toBe(asked + 2);
    expect((await upstream(id)).status).toBe("rolled_back");
  });

  it("rejects with a reason", async () => {
    const { id } = await mcp.ok<{ id: string }>("create_intervention", {
      user_id: fixtures.userId,
      playbook_id: fixtures.playbookId,
      channel: fixtures.channel,
    });
    expect(await mcp.ok("reject_intervention", { intervention_id: id, reason: "off-brand" })).toMatchObject({ id, status: "rejected" });
    expect((await upstream(id)).status).toBe("rejected");
  });

  it("passes upstream refusals on as tool errors, without the key", async () => {
    const { id } = await mcp.ok<{ id: string }>("create_intervention", {
      user_id: fixtures.userId,
      playbook_id: fixtures.playbookId,
      channel: fixtures.channel,
    });
    const illegal = await mcp.fails("rollback_intervention", { intervention_id: id });
    expect(illegal).toContain("'planned'");
    const unknown = await mcp.fails("get_intervention", { intervention_id: "int_doesnotexist000000000" });
    expect(unknown).toMatch(/not found|No intervention/i);
    const badUser = await mcp.fails("create_intervention", { user_id: "nobody-xyz", playbook_id: fixtures.playbookId, channel: fixtures.channel });
    expect(badUser).toContain("nobody-xyz");
    for (const text of [illegal, unknown, badUser]) expect(text).not.toContain(TEST_KEY);
  });
});
