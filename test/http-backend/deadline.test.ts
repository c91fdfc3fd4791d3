/**
 * One deadline per tool call in API mode, and cancellation that reaches the
 * upstream: the MCP request's abort signal and the call's deadline stop every
 * upstream request and every retry sleep, and no mutating request starts
 * after the caller gave up. (A client timed out at 60 s; the server then
 * approved at 61 s, 3 calls × 3 attempts × 15 s later, and the message went
 * out while the agent was told the call failed.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpBackend } from "../../src/backend/http.js";
import { RetivoError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { acceptEverything, startHarness, type Harness } from "../support/harness.js";
import { delayed, json, startFaultServer, type FaultServer } from "./fault-server.js";

const KEY = "rt_test_DeadlineKey0123456789abcdef";
const ID = "int_aaaaaaaaaaaaaaaaaaaa";

let server: FaultServer;
let backend: HttpBackend;

beforeAll(async () => {
  server = await startFaultServer();
  backend = new HttpBackend({
    apiUrl: server.url,
    apiKey: KEY,
    logger: silentLogger(),
    timeoutMs: 400,
    retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 1000, maxRetryAfterMs: 5000 },
  });
});
afterEach(() => server.script());
afterAll(async () => {
  await backend.close();
  await server.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const abortAfter = (ms: number) => AbortSignal.timeout(ms);

async function refusal(promise: Promise<unknown>): Promise<RetivoError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RetivoError);
    return error as RetivoError;
  }
  throw new Error("expected the call to fail");
}

describe("the HTTP backend under a caller's signal", () => {
  it("stops a slow GET and its retries when the signal aborts; nothing is sent after", async () => {
    server.script(delayed(1000, json(200, { interventions: [] })));
    const started = Date.now();
    const error = await refusal(backend.list({ limit: 5 }, { signal: abortAfter(250) }));
    const stoppedAt = Date.now();
    expect(stoppedAt - started).toBeLessThan(800);
    expect(error.code).toBe("deadline_exceeded");
    expect(server.requests).toHaveLength(1);
    await sleep(700);
    expect(server.requests).toHaveLength(1);
  });

  it("ends a retry wait at once, and does not send the retry", async () => {
    server.script(json(503, { error: "busy" }, { "retry-after": "3" }), json(200, { id: ID, status: "paused" }));
    const started = Date.now();
    await refusal(backend.pause(ID, { signal: abortAfter(200) }));
    expect(Date.now() - started).toBeLessThan(1000);
    await sleep(300);
    expect(server.requests.map((r) => r.method)).toEqual(["PUT"]);
  });

  it("never starts a mutating request once the caller has given up", async () => {
    const gone = new AbortController();
    gone.abort();
    await refusal(backend.pause(ID, { signal: gone.signal }));
    await refusal(backend.create({ user_id: "user-1", playbook_id: "8f0c2a3e-6b1d-4c2e-9a7f-0d1e2f3a4b5c", channel: "email" }, { signal: gone.signal }));
    expect(server.requests).toEqual([]);
  });

  it("says a PUT cut while in flight may or may not have taken effect", async () => {
    server.script(delayed(1000, json(200, { id: ID, status: "paused" })));
    const error = await refusal(backend.pause(ID, { signal: abortAfter(150) }));
    expect(error.message).toMatch(/may or may not have taken effect/);
    expect(error.hint).toMatch(/get_intervention/);
  });

  it("a guarded action is the PUT alone, under the signal: nothing is sent once it aborted", async () => {
    // The guard's release reads, verifies and spends before it; here only the act remains.
    const signal = AbortSignal.abort(new Error("the caller gave up"));
    await refusal(backend.approve(ID, { signal }));
    expect(server.requests).toEqual([]);
  });
});

describe("a tool call in API mode", () => {
  let h: Harness;
  beforeAll(async () => {
    // The server checks its key at start with one list call.
    server.script(json(200, { interventions: [] }));
    h = await startHarness({
      env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: server.url, RETIVO_CALL_TIMEOUT_SECONDS: "1" },
      onElicit: acceptEverything,
    });
  });
  afterAll(async () => h.close());

  // Approve and rollback are executed by the guard's release once a human decides (src/guard/release.ts),
  // whether or not the agent's call is still waiting: that path does not take the call's signal.
  it("answers by its deadline, saying so, and sends nothing after it", async () => {
    server.script(delayed(5000, json(200, { id: ID, status: "paused" })));
    const started = Date.now();
    const text = await h.fails("pause_intervention", { intervention_id: ID });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(text).toMatch(/ran out of time: its deadline of 1 s \(RETIVO_CALL_TIMEOUT_SECONDS\) passed/);
    const sent = server.requests.length;
    await sleep(1500);
    expect(server.requests).toHaveLength(sent);
  });
});

describe("a tool call the client cancels, in API mode", () => {
  let h: Harness;
  beforeAll(async () => {
    server.script(json(200, { interventions: [] }));
    // A deadline far away: only the client's cancellation can end the upstream request early.
    h = await startHarness({ env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: server.url, RETIVO_CALL_TIMEOUT_SECONDS: "30" } });
  });
  afterAll(async () => h.close());

  it("stops the upstream request the call was waiting on, and sends nothing after", async () => {
    let closed: number | undefined;
    server.script((_request, response) => new Promise<void>((resolve) => response.on("close", () => ((closed = Date.now()), resolve()))));
    const before = server.requests.length;
    const started = Date.now();
    const cancel = new AbortController();
    const call = h.client.callTool({ name: "pause_intervention", arguments: { intervention_id: ID } }, undefined, { signal: cancel.signal });
    await sleep(300);
    cancel.abort("the agent moved on");
    await expect(call).rejects.toThrow();
    const deadline = Date.now() + 10_000;
    while (closed === undefined && Date.now() < deadline) await sleep(20);
    expect(closed).toBeDefined();
    // The request timeout (15 s) and the call's deadline (30 s) are far off: the cancellation closed it.
    expect(closed! - started).toBeLessThan(10_000);
    expect(server.requests).toHaveLength(before + 1);
    await sleep(700);
    expect(server.requests).toHaveLength(before + 1);
  });
});
