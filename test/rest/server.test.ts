/**
 * What the REST server adds around the operations (the operations themselves
 * are covered by test/contract): keys and data sets, status codes and error
 * bodies, body limits, the per-key rate limit, and the audit actor.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixturesFrom } from "../contract/harness.js";
import { LIVE_KEY, startTestServer, TEST_KEY, type TestServer } from "./support.js";

let t: TestServer;
let userId: string;
let playbookId: string;
let channel: string;

beforeAll(async () => {
  t = await startTestServer();
  ({ userId, playbookId, channel } = await fixturesFrom(t.store, "test"));
});
afterAll(async () => {
  await t.close();
});

const createOne = async () => {
  const created = await t.call("POST", "/api/interventions", { body: { user_id: userId, playbook_id: playbookId, channel } });
  expect(created.status).toBe(201);
  return created.body.id as string;
};

describe("keys", () => {
  it.each([
    ["no header", null],
    ["an unknown key", "rt_test_not_one_of_ours"],
    ["a bare key without Bearer", "raw"],
  ])("answers 401 with {error} to %s", async (_name, key) => {
    const response =
      key === "raw"
        ? await t.call("GET", "/api/interventions", { key: null, headers: { authorization: TEST_KEY } })
        : await t.call("GET", "/api/interventions", { key });
    expect(response.status).toBe(401);
    expect(response.body.error).toMatch(/Missing or unknown API key/);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("gives live and test keys separate data sets", async () => {
    const id = await createOne(); // with the test key
    const test = await t.call("GET", "/api/interventions?limit=500");
    const live = await t.call("GET", "/api/interventions?limit=500", { key: LIVE_KEY });
    const liveIds = new Set(live.body.interventions.map((i: { id: string }) => i.id));
    expect(test.body.interventions.map((i: { id: string }) => i.id)).toContain(id);
    expect(liveIds.has(id)).toBe(false);
    expect(test.body.interventions.some((i: { id: string }) => liveIds.has(i.id))).toBe(false);
    expect((await t.call("PUT", `/api/interventions/${id}/pause`, { key: LIVE_KEY })).status).toBe(404);
  });

  it("audits approve with the key's label, never the key", async () => {
    const id = await createOne();
    expect((await t.call("PUT", `/api/interventions/${id}/approve`)).body).toEqual({ id, status: "approved" });
    const rows = t.db.prepare("SELECT actor, detail FROM audit_log WHERE intervention_id = ?").all(id) as { actor: string; detail: string }[];
    expect(rows.map((r) => r.actor)).toContain(`rest:rt_test_…${TEST_KEY.slice(-4)}`);
    const everything = JSON.stringify(t.db.prepare("SELECT * FROM audit_log").all()) + t.logs();
    expect(everything).not.toContain(TEST_KEY);
    expect(everything).not.toContain(LIVE_KEY);
  });

  it("makes and reports a random test key when none is configured", async () => {
    const bare = await startTestServer({ RETIVO_API_KEYS: "" });
    try {
      const key = bare.server.generatedKey!;
      expect(key).toMatch(/^rt_test_[A-Za-z0-9_-]{32}$/);
      expect(bare.server.keys).toEqual([{ label: `rt_test_…${key.slice(-4)}`, mode: "test", tenant: "test", rateBucket: expect.stringMatching(/^rest:[0-9a-f]{32}$/) }]);
      expect((await bare.call("GET", "/api/interventions?limit=1", { key })).status).toBe(200);
      expect((await bare.call("GET", "/api/interventions?limit=1", { key: TEST_KEY })).status).toBe(401);
      expect(bare.logs()).not.toContain(key);
    } finally {
      await bare.close();
    }
  });
});

describe("status codes and bodies", () => {
  it("answers create with 201 and exactly id, status, channel, planned_at", async () => {
    const response = await t.call("POST", "/api/interventions", { body: { user_id: userId, playbook_id: playbookId, channel } });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(["channel", "id", "planned_at", "status"]);
  });

  it("answers malformed JSON with 400", async () => {
    const response = await t.call("POST", "/api/interventions", { rawBody: '{"user_id": ', headers: { "content-type": "application/json" } });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/not valid JSON/);
  });

  it.each([
    ["create without playbook_id", "POST", "/api/interventions", { user_id: "u", channel: "email" }, /playbook_id/],
    ["create with a malformed playbook_id", "POST", "/api/interventions", { user_id: "u", playbook_id: "pb-1", channel: "email" }, /playbook_id: .*UUID/],
    ["create with channel sms", "POST", "/api/interventions", { user_id: "u", playbook_id: "00000000-0000-4000-8000-000000000000", channel: "sms" }, /channel/],
    ["reject without reason", "PUT", "/api/interventions/int_x/reject", {}, /reason/],
    ["reject with a blank reason", "PUT", "/api/interventions/int_x/reject", { reason: "   " }, /reason/],
    ["flag without a body", "PUT", "/api/interventions/int_x/flag", undefined, /Invalid body/],
    ["dry-run without user_id", "POST", "/api/interventions/dry-run", {}, /user_id/],
  ])("answers 400 naming the field: %s", async (_name, method, path, body, message) => {
    const response = await t.call(method, path, { body });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
  });

  it.each(["abc", "0", "501", "-1"])("answers limit=%s with 400", async (limit) => {
    const response = await t.call("GET", `/api/interventions?limit=${limit}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/limit/);
  });

  it("lists 50 by default", async () => {
    const response = await t.call("GET", "/api/interventions");
    expect(response.body.interventions).toHaveLength(50);
  });

  it("refuses a body over 64 KB with 413", async () => {
    const response = await t.call("PUT", "/api/interventions/int_x/flag", { body: { reason: "x".repeat(70 * 1024) } });
    expect(response.status).toBe(413);
    expect(response.body.error).toMatch(/larger than 65536 bytes/);
  });

  it("answers an unknown intervention with 404 and an illegal transition with 409 naming the status", async () => {
    expect((await t.call("PUT", "/api/interventions/int_nope/approve")).status).toBe(404);
    const id = await createOne();
    const response = await t.call("PUT", `/api/interventions/${id}/rollback`, { body: {} });
    expect(response.status).toBe(409);
    expect(response.body.error).toContain("its status is 'planned'");
  });

  it("accepts a rollback with no body at all", async () => {
    const id = await createOne();
    await t.call("PUT", `/api/interventions/${id}/approve`);
    await t.server.dispatcher.runOnce();
    const response = await t.call("PUT", `/api/interventions/${id}/rollback`);
    expect(response).toMatchObject({ status: 200, body: { id, status: "rolled_back" } });
  });

  it("answers unknown paths with 404 and wrong methods with 405 and Allow", async () => {
    expect((await t.call("GET", "/api/nothing-here")).status).toBe(404);
    const response = await t.call("DELETE", "/api/interventions");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
  });

  it("serves one intervention by id (our extension)", async () => {
    const id = await createOne();
    const response = await t.call("GET", `/api/interventions/${id}`);
    expect(response).toMatchObject({ status: 200, body: { id, status: "planned" } });
  });
});

describe("rate limit", () => {
  it("answers 429 with Retry-After once a key exceeds its rate, other keys unaffected", async () => {
    const limited = await startTestServer({ RETIVO_API_RATE_PER_MINUTE: "3" });
    try {
      for (let i = 0; i < 3; i++) expect((await limited.call("GET", "/api/interventions?limit=1")).status).toBe(200);
      const refused = await limited.call("GET", "/api/interventions?limit=1");
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(refused.body.error).toMatch(/Rate limit of 3 requests a minute/);
      expect((await limited.call("GET", "/api/interventions?limit=1", { key: LIVE_KEY })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("operator passphrase", () => {
  it("makes real approves and rollbacks on the live data set need it; repeats, other actions and the test data set do not", async () => {
    const { setPassphrase } = await import("../../src/guard/passphrase.js");
    await setPassphrase(t.store, "correct horse battery");
    const live = await fixturesFrom(t.store, "live");
    const status = (id: string) => (t.db.prepare("SELECT status FROM interventions WHERE id = ?").get(id) as { status: string }).status;
    const PASS = { "x-retivo-operator-passphrase": "correct horse battery" };
    try {
      const created = await t.call("POST", "/api/interventions", { key: LIVE_KEY, body: { user_id: live.userId, playbook_id: live.playbookId, channel: live.channel } });
      const id = created.body.id as string;
      // Calls without the header are refused and never count as guesses.
      for (let i = 0; i < 8; i++) {
        const missing = await t.call("PUT", `/api/interventions/${id}/approve`, { key: LIVE_KEY });
        expect(missing.status).toBe(403);
        expect(missing.body.error).toMatch(/operator passphrase/);
      }
      const wrong = await t.call("PUT", `/api/interventions/${id}/approve`, { key: LIVE_KEY, headers: { "x-retivo-operator-passphrase": "guess" } });
      expect(wrong.status).toBe(403);
      expect(status(id)).toBe("planned");
      expect((await t.call("PUT", `/api/interventions/${id}/pause`, { key: LIVE_KEY })).status).toBe(200);
      expect((await t.call("PUT", `/api/interventions/${id}/approve`, { key: LIVE_KEY, headers: PASS })).body).toEqual({ id, status: "approved" });
      // A repeat changes nothing, so it needs nothing (domain.md).
      expect((await t.call("PUT", `/api/interventions/${id}/approve`, { key: LIVE_KEY })).body).toEqual({ id, status: "approved" });

      const delivered = t.db.prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = 'delivered' LIMIT 1").get() as { id: string };
      expect((await t.call("PUT", `/api/interventions/${delivered.id}/rollback`, { key: LIVE_KEY, body: {} })).status).toBe(403);
      expect(status(delivered.id)).toBe("delivered");

      // The test data set only simulates deliveries: no passphrase there.
      const testId = await createOne();
      expect((await t.call("PUT", `/api/interventions/${testId}/approve`)).body).toEqual({ id: testId, status: "approved" });

      // Guessing through REST is throttled like the page and the CLI.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const guess = await t.call("PUT", `/api/interventions/${delivered.id}/rollback`, {
          key: LIVE_KEY,
          body: {},
          headers: { "x-retivo-operator-passphrase": `guess-${i}` },
        });
        statuses.push(guess.status);
      }
      expect(statuses.at(-1)).toBe(429);
      expect(status(delivered.id)).toBe("delivered");
    } finally {
      t.db.prepare("DELETE FROM guard_settings").run(); // passphrase and its failure counter
    }
  });
});

describe("error hints speak REST", () => {
  /** Words of the MCP surface that a REST client has no use for. */
  const MCP_WORDS = /\b(list|get|create|approve|pause|reject|rollback|flag|dry_run)_interventions?\b|retivo:\/\/|next_cursor/;

  it("name endpoints, not MCP tools or resources, for unknown ids, illegal moves and unknown users or playbooks", async () => {
    const id = await createOne();
    await t.call("PUT", `/api/interventions/${id}/reject`, { body: { reason: "not this one" } });
    const replies = await Promise.all([
      t.call("GET", "/api/interventions/int_nothere00000000000"),
      t.call("PUT", `/api/interventions/${id}/pause`),
      t.call("POST", "/api/interventions", { body: { user_id: "no-such-user", playbook_id: playbookId, channel } }),
      t.call("POST", "/api/interventions", { body: { user_id: userId, playbook_id: "00000000-0000-4000-8000-000000000000", channel } }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([404, 409, 404, 404]);
    for (const reply of replies) expect(reply.body.error).not.toMatch(MCP_WORDS);
    expect(replies[0]!.body.error).toContain("Use an id returned by GET /api/interventions.");
    expect(replies[1]!.body.error).toContain(`GET /api/interventions/${id} shows its current state`);
    expect(replies[3]!.body.error).toContain("POST /api/interventions/dry-run");
  });
});
