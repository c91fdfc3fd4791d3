/**
 * Session lifecycle over real HTTP: DELETE ends a session, idle sessions are
 * reaped, probes report liveness and readiness, and a drain lets a call in
 * flight (waiting on its human) finish while new work is refused. The cap and
 * eviction are in session-pressure.test.ts.
 */
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { seededId, storedStatus } from "../support/harness.js";
import { acceptConfirmed } from "../guard/helpers.js";
import { INITIALIZE, MCP_HEADERS, rawRequest, startHttpHarness, type HttpHarness } from "./helpers.js";
import { sleep, until } from "../support/wait.js";

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});



/** A TCP port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("sessions", () => {
  it("gives each client its own session, and DELETE ends it", async () => {
    h = await startHttpHarness();
    const a = await h.connect();
    const b = await h.connect();
    expect(h.server.sessionCount()).toBe(2);
    const sessionId = a.transport.sessionId!;

    await a.transport.terminateSession();
    expect(h.server.sessionCount()).toBe(1);
    const after = await rawRequest(h.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-session-id": sessionId },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    expect(after.status).toBe(404);
    expect(after.json()).toMatchObject({ error: { code: -32001 } });
    // The other session is untouched.
    expect((await b.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it("reaps sessions idle for longer than idleTimeoutMs", async () => {
    h = await startHttpHarness({ server: { idleTimeoutMs: 300 } });
    const c = await h.connect();
    expect(h.server.sessionCount()).toBe(1);
    await until(() => h!.server.sessionCount() === 0);
    const error = await c.client.listTools().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamableHTTPError);
    expect((error as StreamableHTTPError).code).toBe(404);
  });

  it("does not reap a session while a call is in flight", async () => {
    h = await startHttpHarness({ server: { idleTimeoutMs: 200 } });
    let answer!: (result: ElicitResult) => void;
    const c = await h.connect({ onElicit: () => new Promise<ElicitResult>((resolve) => (answer = resolve)) });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const call = c.ok("approve_intervention", { intervention_id: id });
    await until(() => answer !== undefined);
    await sleep(600); // three idle periods, with the call waiting on its human
    expect(h.server.sessionCount()).toBe(1);
    answer({ action: "accept", content: { confirm: true } });
    expect(await call).toMatchObject({ status: "approved" });
  });
});

describe("probes", () => {
  it("/healthz is 200 and /readyz is 200 when the store answers", async () => {
    h = await startHttpHarness();
    const base = h.url.replace(/\/mcp$/, "");
    const live = await rawRequest(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(live.json()).toEqual({ status: "ok" });
    const ready = await rawRequest(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ status: "ready", backend: "local", sessions: { open: 0, max: 64, in_use: 0 } });
    expect((await rawRequest(`${base}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("/readyz is 503 with a reason, and no secret, when the upstream API is unreachable", async () => {
    const apiKey = "rt_test_readyz_secret_key_0123456789";
    h = await startHttpHarness({
      env: { RETIVO_API_KEY: apiKey, RETIVO_API_URL: `http://127.0.0.1:${await closedPort()}`, RETIVO_MCP_TOKEN: "tok-readyz-0123456789" },
    });
    const base = h.url.replace(/\/mcp$/, "");
    expect((await rawRequest(`${base}/healthz`)).status).toBe(200);
    const ready = await rawRequest(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const body = ready.json() as { status: string; backend: string; reason: string };
    expect(body).toMatchObject({ status: "unavailable", backend: "api-test" });
    expect(body.reason.length).toBeGreaterThan(0);
    expect(ready.body).not.toContain(apiKey);
    expect(ready.body).not.toContain("tok-readyz");
  });
});

describe("drain", () => {
  it("refuses new sessions and requests, lets the call in flight finish, then closes", async () => {
    h = await startHttpHarness();
    let answer!: (result: ElicitResult) => void;
    const waiting = await h.connect({ onElicit: (request) => new Promise<ElicitResult>((resolve) => (answer = () => resolve(acceptConfirmed(request)))) });
    const other = await h.connect();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const call = waiting.ok("approve_intervention", { intervention_id: id });
    await until(() => answer !== undefined);

    const closed = h.server.close(5000);
    await sleep(50);
    const base = h.url.replace(/\/mcp$/, "");
    expect((await rawRequest(`${base}/readyz`)).status).toBe(503);
    expect((await rawRequest(`${base}/healthz`)).status).toBe(200);
    expect((await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) })).status).toBe(503);
    await expect(other.client.listTools()).rejects.toThrow(/503|shutting down/i);

    // The human answers during the drain: the answer is accepted and the write lands.
    answer({ action: "accept" });
    expect(await call).toMatchObject({ id, status: "approved" });
    await closed;
    // runtime.close() ran: the store is closed.
    expect(() => storedStatus(h!.runtime, id)).toThrow(/not open/i);
  });
});
