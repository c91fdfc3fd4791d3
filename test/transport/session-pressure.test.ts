/**
 * Sessions under the pressure ordinary clients put on them: the SDK client's
 * close(), Inspector, mcp-remote and health checks never DELETE their
 * session, so the cap must not lock everyone out. At the cap the least
 * recently used session with no request in flight makes room; sessions with
 * no open stream idle out sooner; /readyz says when the server is saturated;
 * malformed requests get -32602; and a call cut by a drain gets an error.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { seededId } from "../support/harness.js";
import { INITIALIZE, MCP_HEADERS, rawRequest, startHttpHarness, type HttpHarness } from "./helpers.js";
import { until } from "../support/wait.js";
import { dbOf } from "../support/sqlite.js";

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});


/** A session opened the way a health check does: initialize, then nothing (no stream, no DELETE). */
async function rawSession(url: string): Promise<string> {
  const opened = await rawRequest(url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
  expect(opened.status).toBe(200);
  const sessionId = opened.headers["mcp-session-id"] as string;
  await rawRequest(url, {
    method: "POST",
    headers: { ...MCP_HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  return sessionId;
}

function post(url: string, sessionId: string, message: unknown) {
  return rawRequest(url, {
    method: "POST",
    headers: { ...MCP_HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
    body: JSON.stringify(message),
  });
}

describe("clients that never DELETE their session", () => {
  it("serves 200 of them, one after another, with the default cap", async () => {
    h = await startHttpHarness();
    let served = 0;
    for (let i = 0; i < 200; i++) {
      const c = await h.connect({ name: `abandoning-${i}` });
      const { tools } = await c.client.listTools();
      if (tools.length > 0) served++;
      await c.client.close(); // the SDK client's close(): no DELETE
    }
    expect(served).toBe(200);
    expect(h.server.sessionCount()).toBeLessThanOrEqual(64);
  }, 120_000);

  it("at the cap, evicts the least recently used idle session, never one with a call in flight", async () => {
    h = await startHttpHarness({ server: { maxSessions: 2 } });
    let answer!: (result: ElicitResult) => void;
    const busy = await h.connect({ onElicit: () => new Promise<ElicitResult>((resolve) => (answer = resolve)) });
    const idle = await h.connect();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const call = busy.ok("approve_intervention", { intervention_id: id });
    await until(() => answer !== undefined);

    const newcomer = await h.connect();
    expect((await newcomer.client.listTools()).tools.length).toBeGreaterThan(0);
    await expect(idle.client.listTools()).rejects.toThrow(/404|not found/i);
    answer({ action: "accept", content: { confirm: true } });
    expect(await call).toMatchObject({ status: "approved" });
  });

  it("refuses with 503, and /readyz says saturated, only when every session has a call in flight", async () => {
    h = await startHttpHarness({ server: { maxSessions: 1 } });
    const base = h.url.replace(/\/mcp$/, "");
    let answer!: (result: ElicitResult) => void;
    const busy = await h.connect({ onElicit: () => new Promise<ElicitResult>((resolve) => (answer = resolve)) });
    expect((await rawRequest(`${base}/readyz`)).json()).toMatchObject({ status: "ready", sessions: { open: 1, max: 1, in_use: 0 } });
    const call = busy.ok("approve_intervention", { intervention_id: seededId(h.runtime, "planned", "AND flagged = 0") });
    await until(() => answer !== undefined);

    const ready = await rawRequest(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ status: "saturated", sessions: { open: 1, max: 1, in_use: 1 } });
    const refused = await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ error: { message: expect.stringMatching(/every one has a request in flight/) } });

    answer({ action: "accept", content: { confirm: true } });
    await call;
    expect((await rawRequest(`${base}/readyz`)).status).toBe(200);
  });
});

describe("idle sessions", () => {
  it("closes a session without an open stream sooner than one with a stream", async () => {
    h = await startHttpHarness({ server: { idleTimeoutMs: 60_000, streamlessIdleTimeoutMs: 300 } });
    const streaming = await h.connect(); // the SDK client opens the GET stream after initialize
    await until(() => h!.server.streamCount() === 1);
    await rawSession(h.url);
    expect(h.server.sessionCount()).toBe(2);
    await until(() => h!.server.sessionCount() === 1);
    expect((await streaming.client.listTools()).tools.length).toBeGreaterThan(0);
  });
});

describe("malformed requests over HTTP", () => {
  it.each([
    ["arguments as an array", { name: "list_interventions", arguments: [] }, /arguments/],
    ["arguments as a string", { name: "list_interventions", arguments: "x" }, /arguments/],
    ["no name", { arguments: {} }, /name/],
  ])("tools/call with %s gets -32602 with a short message", async (_name, params, field) => {
    h = await startHttpHarness();
    const sessionId = await rawSession(h.url);
    const answered = await post(h.url, sessionId, { jsonrpc: "2.0", id: 5, method: "tools/call", params });
    expect(answered.status).toBe(200);
    const { error } = answered.json() as { error: { code: number; message: string } };
    expect(error.code).toBe(-32602);
    expect(error.message).toMatch(field);
    expect(error.message.length).toBeLessThan(300);
  });

  it("initialize with empty params gets -32602, and no session", async () => {
    h = await startHttpHarness();
    const answered = await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} }) });
    expect(answered.status).toBe(400);
    expect(answered.json()).toMatchObject({ id: 1, error: { code: -32602, message: expect.stringMatching(/^Invalid params for initialize: .*protocolVersion/) } });
    expect(h.server.sessionCount()).toBe(0);
  });
});

describe("a drain that runs out of time", () => {
  it("answers the call it cuts with an error instead of silence", async () => {
    h = await startHttpHarness();
    const waiting = await h.connect({ onElicit: () => new Promise<ElicitResult>(() => {}) }); // a human who never answers
    const call = waiting.client
      .callTool({ name: "approve_intervention", arguments: { intervention_id: seededId(h.runtime, "planned", "AND flagged = 0") } }, undefined, { timeout: 20_000 })
      .then(
        () => "answered",
        (error: Error) => error.message,
      );
    await until(() => dbOf(h!.runtime).prepare("SELECT COUNT(*) FROM approvals").pluck().get() === 1);
    const started = Date.now();
    await h.server.close(300);
    expect(await call).toMatch(/shut down before this call finished/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
