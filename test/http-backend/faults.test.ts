/**
 * HttpBackend against a misbehaving upstream on loopback: retries and their
 * backoff, Retry-After, deadlines, error texts, create sent at most once, and
 * the API key absent from every error and log line.
 */
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpBackend } from "../../src/backend/http.js";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfterMs } from "../../src/backend/http/retry.js";
import { RetivoError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { delayed, intervention, json, raw, startFaultServer, type FaultServer } from "./fault-server.js";

const KEY = "rt_test_SeCrEtKeyValue0123456789abcdef";
const PLAYBOOK = "8f0c2a3e-6b1d-4c2e-9a7f-0d1e2f3a4b5c";

let server: FaultServer;
let backend: HttpBackend;
let logLines = "";
const errors: unknown[] = [];

const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines += chunk.toString();
    done();
  },
});

function makeBackend(overrides: Partial<ConstructorParameters<typeof HttpBackend>[0]> = {}): HttpBackend {
  return new HttpBackend({
    apiUrl: server.url,
    apiKey: KEY,
    logger: createLogger("trace", logStream),
    timeoutMs: 300,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 2000 },
    ...overrides,
  });
}

/** Awaits a call expected to fail and keeps the error for the key-leak check. */
async function failure(promise: Promise<unknown>): Promise<RetivoError> {
  try {
    await promise;
  } catch (error) {
    errors.push(error);
    expect(error).toBeInstanceOf(RetivoError);
    return error as RetivoError;
  }
  throw new Error("expected the call to fail");
}

const gaps = () => server.requests.slice(1).map((r, i) => r.at - server.requests[i]!.at);

beforeAll(async () => {
  server = await startFaultServer();
  backend = makeBackend();
});
afterEach(() => server.script());
afterAll(async () => {
  await backend.close();
  await server.close();
});

describe("requests on the wire", () => {
  it("sends the bearer key, the exact JSON bodies and limit as a query string", async () => {
    server.script(json(201, { id: "int_new", status: "planned", channel: "email", planned_at: "2026-01-01T00:00:00.000Z" }));
    await backend.create({ user_id: "user-1", playbook_id: PLAYBOOK, channel: "email" });
    server.script(json(200, { id: "int_1", status: "rejected" }));
    await backend.reject("int_1", "off-brand");
    server.script(json(200, { id: "int_1", status: "rolled_back" }));
    await backend.rollback("int_1", undefined);
    const rollback = server.requests[0]!;
    server.script(json(200, { interventions: [] }));
    await backend.list({ limit: 7 });

    const list = server.requests[0]!;
    expect(list.method).toBe("GET");
    expect(list.url).toBe("/api/interventions?limit=8"); // one more than asked, to know whether a next page exists
    expect(list.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(rollback.body).toBe("{}");
    expect(rollback.url).toBe("/api/interventions/int_1/rollback");
  });

  it("posts create once with exactly user_id, playbook_id and channel", async () => {
    server.script(json(201, { id: "int_new", status: "planned", channel: "email", planned_at: "2026-01-01T00:00:00.000Z" }));
    await backend.create({ user_id: "user-1", playbook_id: PLAYBOOK, channel: "email" });
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ user_id: "user-1", playbook_id: PLAYBOOK, channel: "email" });
    expect(server.requests[0]!.headers["content-type"]).toBe("application/json");
  });
});

describe("retries", () => {
  it("retries a GET after 500s with growing, jittered backoff, then succeeds", async () => {
    server.script(json(500, { error: "db down" }), json(503, { error: "db down" }), json(200, { interventions: [intervention()] }));
    const page = await backend.list({ limit: 10 });
    expect(page.interventions).toHaveLength(1);
    expect(server.requests).toHaveLength(3);
    const [first, second] = gaps();
    // Equal jitter: retry 1 waits 50..100 ms, retry 2 waits 100..200 ms.
    expect(first).toBeGreaterThanOrEqual(45);
    expect(second).toBeGreaterThanOrEqual(95);
  });

  it("says upstream is failing after the last attempt, with the upstream's own words", async () => {
    server.script(json(502, { error: "  bad\n gateway  " }));
    const error = await failure(backend.list({ limit: 5 }));
    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain("is failing");
    expect(error.message).toContain("HTTP 502 after 3 attempts: bad gateway");
    expect(server.requests).toHaveLength(3);
  });

  it("retries the PUT actions (a repeat is a no-op by the domain rules)", async () => {
    server.script(json(503, { error: "busy" }), json(200, { id: "int_1", status: "paused" }));
    await expect(backend.pause("int_1")).resolves.toEqual({ id: "int_1", status: "paused" });
    expect(server.requests.map((r) => r.method)).toEqual(["PUT", "PUT"]);
  });

  it("retries dry-run, which persists nothing", async () => {
    const dryRun = {
      dry_run: true,
      decision: { action: "skip", playbook_id: "", channel: "", confidence: 0, reasoning: "", reason: "unknown_user" },
      rules: {},
      context: { lifecycle_stage: "", activation_score: 0, risk_level: "", matched_playbooks: 0 },
    };
    server.script(json(500, { error: "oops" }), json(200, dryRun));
    await expect(backend.dryRun({ user_id: "nobody" })).resolves.toMatchObject({ dry_run: true });
    expect(server.requests).toHaveLength(2);
  });

  it.each([
    ["a 500", json(500, { error: "boom" }), "upstream_error"],
    ["a 503 with Retry-After", json(503, { error: "busy" }, { "retry-after": "0" }), "upstream_error"],
    ["a 429", json(429, { error: "slow down" }, { "retry-after": "0" }), "rate_limited"],
    ["a timeout", delayed(1000, json(201, {})), "upstream_error"],
  ])("never sends a create twice, even after %s", async (_name, answer, code) => {
    server.script(answer);
    // A fresh backend: one that lost an earlier create's answer would look for it first (lost-create.test.ts).
    const fresh = makeBackend();
    const error = await failure(fresh.create({ user_id: "user-1", playbook_id: PLAYBOOK, channel: "email" }));
    expect(error.code).toBe(code);
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a (wrong) retry to arrive
    expect(server.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    await fresh.close();
  });
});

describe("rate limiting", () => {
  it("waits out Retry-After (seconds) before retrying", async () => {
    server.script(json(429, { error: "slow down" }, { "retry-after": "1" }), json(200, { interventions: [] }));
    await backend.list({ limit: 1 });
    expect(server.requests).toHaveLength(2);
    expect(gaps()[0]).toBeGreaterThanOrEqual(950);
  });

  it("fails at once when Retry-After is beyond the cap, carrying the wait", async () => {
    server.script(json(429, { error: "slow down" }, { "retry-after": "120" }));
    const error = await failure(backend.list({ limit: 1 }));
    expect(error.code).toBe("rate_limited");
    expect((error as unknown as { retryAfterSeconds: number }).retryAfterSeconds).toBe(120);
    expect(error.hint).toContain("120 s");
    expect(server.requests).toHaveLength(1);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfterMs("3", now)).toBe(3000);
    expect(parseRetryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfterMs("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfterMs("soon", now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });

  it("computes backoff as equal jitter, capped", () => {
    expect(backoffDelayMs(1, DEFAULT_RETRY_POLICY, () => 0)).toBe(125);
    expect(backoffDelayMs(1, DEFAULT_RETRY_POLICY, () => 1)).toBe(250);
    expect(backoffDelayMs(3, DEFAULT_RETRY_POLICY, () => 1)).toBe(1000);
    expect(backoffDelayMs(10, DEFAULT_RETRY_POLICY, () => 1)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });
});

describe("timeouts", () => {
  it("gives up on a slow GET after each attempt's deadline", async () => {
    server.script(delayed(5000, json(200, { interventions: [] })));
    const started = Date.now();
    const error = await failure(backend.list({ limit: 1 }));
    expect(error.message).toMatch(/did not answer GET \/api\/interventions within 300 ms \(3 attempts\)/);
    expect(server.requests).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(4000); // 3 × 300 ms deadlines plus backoff, far from the 5 s answer
  });

  it("recovers when only the first attempt is slow", async () => {
    server.script(delayed(2000, json(200, { interventions: [] })), json(200, { interventions: [] }));
    await expect(backend.list({ limit: 1 })).resolves.toMatchObject({ interventions: [] });
  });
});

describe("what upstream says", () => {
  it("describes a malformed JSON success body without echoing it", async () => {
    server.script(raw(200, "application/json", '{"interventions": [ {"id": '));
    const error = await failure(backend.list({ limit: 1 }));
    expect(error.message).toContain("non-JSON body (application/json");
    expect(error.message).not.toContain('"interventions"');
  });

  it("describes an HTML error page without echoing it", async () => {
    server.script(raw(502, "text/html; charset=utf-8", "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"));
    const error = await failure(backend.pause("int_1"));
    expect(error.message).toContain("non-JSON body (text/html");
    expect(error.message).not.toMatch(/<html|nginx/);
  });

  it("names the field when the shape changed", async () => {
    server.script(json(200, { interventions: [intervention(), intervention({ confidence: "high" })] }));
    const error = await failure(backend.list({ limit: 5 }));
    expect(error.message).toContain("unexpected shape");
    expect(error.message).toContain("interventions[1].confidence");
  });

  it("names a missing field of a create answer", async () => {
    server.script(json(201, { status: "planned", channel: "email", planned_at: "x" }));
    const error = await failure(backend.create({ user_id: "u", playbook_id: PLAYBOOK, channel: "email" }));
    expect(error.message).toMatch(/\bid: /);
  });

  it.each([
    [401, "unauthorized", /rejected the API key/, /wrong, revoked or expired/],
    [403, "forbidden", /refused PUT \/api\/interventions\/int_1\/pause for this API key/, /lacks the scope/],
    [404, "not_found", /found nothing for PUT \/api\/interventions\/int_1\/pause \(HTTP 404\): no such intervention/, /list_interventions/],
    [409, "illegal_transition", /\(HTTP 409\): cannot pause: status is rejected/, /current status/],
  ])("maps HTTP %i to %s", async (status, code, message, hint) => {
    const text = status === 404 ? "no such intervention" : status === 409 ? "cannot pause: status is rejected" : "nope";
    server.script(json(status, { error: text }));
    const error = await failure(backend.pause("int_1"));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
    expect(server.requests).toHaveLength(1); // 4xx is an answer, not a fault: never retried
  });

  it("trims long upstream text to 300 characters and scrubs an echoed key", async () => {
    server.script(json(400, { error: `bad key ${KEY} ${"x".repeat(1000)}` }));
    const error = await failure(backend.flag("int_1", "why"));
    const upstream = error.message.split(": ").slice(1).join(": ");
    expect(upstream.length).toBeLessThanOrEqual(302);
    expect(error.message).toContain("bad key [redacted]");
  });

  it("passes plan-limit details on", async () => {
    server.script(json(403, { error: "Plan limit reached", current: 100, limit: 100, upgrade_to: "growth" }));
    const error = await failure(backend.create({ user_id: "u", playbook_id: PLAYBOOK, channel: "email" }));
    expect(error.message).toContain("Plan limit reached (plan limit: 100 of 100; upgrade to growth)");
  });

  it("reports a refused connection as unreachable", async () => {
    const closed = await startFaultServer();
    const url = closed.url;
    await closed.close();
    const unreachable = makeBackend({ apiUrl: url, retry: { attempts: 2, baseDelayMs: 10 } });
    const error = await failure(unreachable.list({ limit: 1 }));
    await unreachable.close();
    expect(error.message).toMatch(/could not be reached for GET \/api\/interventions \(ECONNREFUSED, 2 attempts\)/);
  });
});

describe("the window the API allows", () => {
  it("filters and pages client-side and says what it searched", async () => {
    const items = Array.from({ length: 5 }, (_, i) =>
      intervention({ id: `int_${i}`, status: i % 2 === 0 ? "planned" : "paused", flagged: i === 4 }),
    );
    const small = makeBackend({ listWindow: 5 });
    server.script(json(200, { interventions: items }));
    const first = await small.list({ limit: 2, status: "planned" });
    expect(first.interventions.map((i) => i.id)).toEqual(["int_0", "int_2"]);
    expect(first.window).toMatchObject({ scanned: 5, complete: false });
    expect(first.window.note).toContain("5 most recent");
    expect(server.requests[0]!.url).toBe("/api/interventions?limit=5");
    const second = await small.list({ limit: 2, status: "planned", cursor: first.next_cursor! });
    expect(second.interventions.map((i) => i.id)).toEqual(["int_4"]);
    expect(second.next_cursor).toBeNull();
    await small.close();
  });

  it("does not claim older interventions are out of reach on an unfiltered first page", async () => {
    const items = Array.from({ length: 3 }, (_, i) => intervention({ id: `int_${i}` }));
    const small = makeBackend({ listWindow: 5 });
    server.script(json(200, { interventions: items }), json(200, { interventions: items }));
    const first = await small.list({ limit: 2 });
    expect(server.requests[0]!.url).toBe("/api/interventions?limit=3");
    expect(first.next_cursor).not.toBeNull();
    expect(first.window).toMatchObject({ scanned: 3, complete: true });
    expect(first.window.note).not.toContain("no further back");
    // The cursor really pages on, into the whole window.
    const second = await small.list({ limit: 2, cursor: first.next_cursor! });
    expect(server.requests[1]!.url).toBe("/api/interventions?limit=5");
    expect(second.interventions.map((i) => i.id)).toEqual(["int_2"]);
    await small.close();
  });

  it("says an id was not found within the N most recent interventions", async () => {
    const small = makeBackend({ listWindow: 2 });
    server.script(json(200, { interventions: [intervention({ id: "int_a" }), intervention({ id: "int_b" })] }));
    const error = await failure(small.get("int_zzz"));
    expect(error.code).toBe("not_found");
    expect(error.message).toContain("within the 2 most recent interventions");
    await small.close();
  });
});

describe("guarded actions", () => {
  it("approve is one PUT: reading, verifying and spending the approval are the guard's release, before it", async () => {
    server.script(json(200, { id: "int_g", status: "approved" }));
    expect(await backend.approve("int_g", { actor: "human:test" })).toEqual({ id: "int_g", status: "approved" });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["PUT /api/interventions/int_g/approve"]);
  });
});


describe("the key", () => {
  it("reports the mode from the key prefix", () => {
    expect(backend.mode).toBe("api-test");
    const live = new HttpBackend({ apiUrl: server.url, apiKey: "rt_live_x", logger: createLogger("silent") });
    expect(live.mode).toBe("api-live");
    void live.close();
  });

  it("appears in no error and no log line of this file", () => {
    expect(errors.length).toBeGreaterThan(15);
    for (const error of errors) {
      const { message, hint } = error as RetivoError;
      expect(`${message} ${hint ?? ""}`).not.toContain(KEY);
      expect(JSON.stringify(error)).not.toContain(KEY);
    }
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines).toContain("retrying");
    expect(logLines).not.toContain(KEY);
    expect(logLines).not.toContain("SeCrEt");
  });
});
