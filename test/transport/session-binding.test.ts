/**
 * No client can act in another's session. Transport session ids are never
 * shown to clients (an intervention's audit trail used to carry them), and an
 * HTTP session is bound to the credential that opened it: the same session id
 * with another credential, or with none, is an unknown session (404), for
 * calls, for the stream and for DELETE.
 */
import { afterEach, describe, expect, it } from "vitest";
import { seededId } from "../support/harness.js";
import { MCP_HEADERS, rawRequest, startHttpHarness, type HttpHarness } from "./helpers.js";

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const listCall = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "list_interventions", arguments: { limit: 1 } } };

describe("sessions belong to their credential", () => {
  it("never shows a session id to another client, in the audit trail of a resource", async () => {
    h = await startHttpHarness();
    const alice = await h.connect({ name: "alice" });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await alice.ok("approve_intervention", { intervention_id: id });
    const sessionId = alice.transport.sessionId!;
    expect(sessionId).toBeTruthy();

    const mallory = await h.connect({ name: "mallory" });
    const resource = await mallory.client.readResource({ uri: `retivo://interventions/${id}` });
    const text = JSON.stringify(resource);
    expect(text).toContain("approval_requested");
    expect(text).not.toContain(sessionId);
  });

  it("answers 404 to a session id used with another credential or none, and keeps the session for its owner", async () => {
    h = await startHttpHarness();
    const alice = await h.connect({ name: "alice", token: "alice-credential-0001" });
    const sessionId = alice.transport.sessionId!;
    const post = (authorization: string | undefined) =>
      rawRequest(h!.url, {
        method: "POST",
        headers: { ...MCP_HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(listCall),
      });
    expect((await post("Bearer someone-else-0002")).status).toBe(404);
    expect((await post(undefined)).status).toBe(404);
    const stream = await rawRequest(h.url, { headers: { accept: "text/event-stream", "mcp-session-id": sessionId } });
    expect(stream.status).toBe(404);
    const deleted = await rawRequest(h.url, { method: "DELETE", headers: { "mcp-session-id": sessionId, authorization: "Bearer someone-else-0002" } });
    expect(deleted.status).toBe(404);

    // Its owner carries on.
    expect((await post("Bearer alice-credential-0001")).status).toBe(200);
    expect(await alice.ok("list_interventions", { limit: 1 })).toMatchObject({ interventions: expect.any(Array) });
  });
});
