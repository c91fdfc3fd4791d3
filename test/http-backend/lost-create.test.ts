/**
 * A create whose answer was lost does not become two. The upstream (here the
 * local REST server, behind a proxy that loses answers) acts on the POST, the
 * answer never arrives, and the agent is told the create may have happened;
 * following that hint, the retry returns the same intervention: through the
 * Idempotency-Key the REST server honours for 24 h, and, for an upstream that
 * ignores the header, by first looking for the intervention the lost call made.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpBackend } from "../../src/backend/http.js";
import type { SqliteDb } from "../support/sqlite.js";
import { RetivoError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import type { RestServer } from "../../src/rest/server.js";
import { fixturesFrom, type ContractFixtures } from "../contract/harness.js";
import { startTestServer, TEST_KEY as KEY, type TestServer } from "../rest/support.js";
import { startHarness, type Harness } from "../support/harness.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { delayed, json, startFaultServer } from "./fault-server.js";

let t: TestServer;
let restDb: SqliteDb;
let rest: RestServer;
let proxy: FaultProxy;
let fixtures: ContractFixtures;
let clock = Date.now();

beforeAll(async () => {
  t = await startTestServer({ RETIVO_API_RATE_PER_MINUTE: "100000" }, { now: () => new Date(clock) });
  ({ server: rest, db: restDb } = t);
  proxy = await startFaultProxy(rest.url);
  fixtures = await fixturesFrom(t.store, "test");
});
afterEach(() => {
  proxy.stripIdempotencyKey(false);
  proxy.loseAnswers("", 0);
  clock = Date.now();
});
afterAll(async () => {
  await proxy.close();
  await t.close();
});

const count = () => restDb.prepare("SELECT COUNT(*) FROM interventions WHERE tenant_id = 'test'").pluck().get() as number;
const backendVia = (url: string) => new HttpBackend({ apiUrl: url, apiKey: KEY, logger: silentLogger(), timeoutMs: 2000 });
const createRequest = () => ({ user_id: fixtures.userId, playbook_id: fixtures.playbookId, channel: fixtures.channel });

async function post(body: unknown, key: string) {
  const response = await fetch(`${rest.url}/api/interventions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

describe("the REST server honours Idempotency-Key on create", () => {
  it("same key and body: the first answer, and one intervention", async () => {
    const before = count();
    const first = await post(createRequest(), "key-same-body-1");
    const second = await post(createRequest(), "key-same-body-1");
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(count()).toBe(before + 1);
  });

  it("same key, other body: 409, and nothing created", async () => {
    await post(createRequest(), "key-other-body-1");
    const before = count();
    const other = await post({ ...createRequest(), user_id: `${fixtures.userId}-other` }, "key-other-body-1");
    expect(other.status).toBe(409);
    expect(String(other.body.error)).toMatch(/Idempotency-Key .*different request/);
    expect(count()).toBe(before);
  });

  it("after 24 hours the key is forgotten", async () => {
    const first = await post(createRequest(), "key-expires-1");
    clock += 24 * 3600_000 + 1000;
    const later = await post(createRequest(), "key-expires-1");
    expect(later.status).toBe(201);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it("refuses a key that is not 1-255 visible characters", async () => {
    const refused = await post(createRequest(), "k".repeat(256));
    expect(refused.status).toBe(400);
    expect(String(refused.body.error)).toMatch(/Idempotency-Key/);
  });
});

describe("HttpBackend after a lost create answer", () => {
  async function lostThenRetried(): Promise<{ error: RetivoError; retried: { id: string }; before: number }> {
    const backend = backendVia(proxy.url);
    try {
      const before = count();
      proxy.loseAnswers("POST", 1);
      const error = await backend.create(createRequest()).then(
        () => expect.fail("the answer was lost; create must not report success"),
        (e: unknown) => e as RetivoError,
      );
      expect(count()).toBe(before + 1); // upstream did create it
      const retried = await backend.create(createRequest());
      return { error, retried, before };
    } finally {
      await backend.close();
    }
  }

  it("says the create may have happened, and the retry returns it (Idempotency-Key honoured)", async () => {
    const { error, retried, before } = await lostThenRetried();
    expect(error.message).toMatch(/may have happened/);
    expect(error.hint).toMatch(/create_intervention again with the same user_id, playbook_id and channel/);
    expect(count()).toBe(before + 1);
    expect(retried.id).toBe(restDb.prepare("SELECT id FROM interventions WHERE tenant_id = 'test' ORDER BY seq DESC LIMIT 1").pluck().get());
    expect(proxy.forwarded.filter((r) => r.method === "POST").at(-1)!.headers["idempotency-key"]).toMatch(/^rtmcp_/);
  });

  it("when the lost create is not (yet) visible, the retry sends the first attempt's Idempotency-Key again", async () => {
    const scripted = await startFaultServer();
    const backend = new HttpBackend({ apiUrl: scripted.url, apiKey: KEY, logger: silentLogger(), timeoutMs: 200 });
    try {
      const created = { id: "int_once", status: "planned", channel: fixtures.channel, planned_at: new Date().toISOString() };
      scripted.script(delayed(1000, json(201, created)), json(200, { interventions: [] }), json(201, created));
      await expect(backend.create(createRequest())).rejects.toThrow(/may have happened/);
      await expect(backend.create(createRequest())).resolves.toMatchObject({ id: "int_once" });
      const [first, lookup, second] = scripted.requests;
      expect(lookup!.method).toBe("GET");
      expect(second!.headers["idempotency-key"]).toBe(first!.headers["idempotency-key"]);
    } finally {
      await backend.close();
      await scripted.close();
    }
  });

  it("with an upstream that ignores the key, the retry finds the lost create instead of making a second", async () => {
    proxy.stripIdempotencyKey(true);
    const { retried, before } = await lostThenRetried();
    expect(count()).toBe(before + 1);
    const newest = restDb.prepare("SELECT id FROM interventions WHERE tenant_id = 'test' ORDER BY seq DESC LIMIT 1").pluck().get();
    expect(retried.id).toBe(newest);
  });

  it("a create that succeeded is not deduplicated: the next one makes another", async () => {
    const backend = backendVia(rest.url);
    const before = count();
    const a = await backend.create(createRequest());
    const b = await backend.create(createRequest());
    await backend.close();
    expect(a.id).not.toBe(b.id);
    expect(count()).toBe(before + 2);
  });
});

describe("create_intervention in API mode after a lost answer", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: proxy.url } });
  });
  afterAll(async () => h.close());

  it("tells the agent how to check, and the agent's retry returns the same intervention", async () => {
    const before = count();
    proxy.loseAnswers("POST", 1);
    const text = await h.fails("create_intervention", createRequest());
    expect(text).toMatch(/may have happened/);
    expect(text).toMatch(/list_interventions/);
    const retried = await h.ok<{ id: string; recovered_from_lost_answer?: boolean }>("create_intervention", createRequest());
    expect(count()).toBe(before + 1);
    expect(retried.id).toBe(restDb.prepare("SELECT id FROM interventions WHERE tenant_id = 'test' ORDER BY seq DESC LIMIT 1").pluck().get());
  });
});
