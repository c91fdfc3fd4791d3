/**
 * The replica id in session ids: each session id a server mints starts with
 * its replica id (RETIVO_REPLICA_ID, else host name and port), which is what a
 * load balancer routes on; a session id another replica minted, or one made
 * up, is answered 404 like any unknown session, so the client re-initialises.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { defaultReplicaId, replicaOfSessionId } from "../../src/transport/http/replica.js";
import { MCP_HEADERS, rawRequest, startHttpHarness, type HttpHarness } from "./helpers.js";

let harnesses: HttpHarness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  harnesses = [];
});

const ENV = { RETIVO_DB: ":memory:", HOME: "/nonexistent" };

describe("RETIVO_REPLICA_ID", () => {
  it("takes a short lower-case name and refuses anything a session id or an nginx pattern cannot carry", () => {
    for (const id of ["a", "mcp-1", "web-3-8080", "x".repeat(32)]) expect(parseConfig(["serve", "--http"], { ...ENV, RETIVO_REPLICA_ID: id }).http.replicaId).toBe(id);
    expect(parseConfig(["serve", "--http"], ENV).http.replicaId).toBeUndefined();
    for (const id of ["MCP-1", "mcp.1", "-mcp", "mcp-", "mcp 1", "x".repeat(33), "mcp_1", "é"]) {
      expect(() => parseConfig(["serve", "--http"], { ...ENV, RETIVO_REPLICA_ID: id }), id).toThrow(ConfigError);
      expect(() => parseConfig(["serve", "--http"], { ...ENV, RETIVO_REPLICA_ID: id })).toThrow(/RETIVO_REPLICA_ID must be 1 to 32 characters/);
    }
  });

  it("defaults to the host name and port, reduced to a valid id", () => {
    expect(defaultReplicaId(8080, "web-3")).toBe("web-3-8080");
    expect(defaultReplicaId(8080, "IP-10-0-0-7.EC2.Internal")).toBe("ip-10-0-0-7-ec2-internal-8080");
    expect(defaultReplicaId(1, "a".repeat(80))).toBe(`${"a".repeat(30)}-1`);
    expect(defaultReplicaId(65535, "...")).toBe("replica-65535");
    expect(defaultReplicaId(9, `${"b".repeat(29)}.c`)).toBe(`${"b".repeat(29)}-9`);
  });
});

describe("session ids carry the replica id", () => {
  it("prefixes every session id it mints with its replica id and a dot", async () => {
    const h = await startHttpHarness({ server: { replicaId: "mcp-7" } });
    harnesses.push(h);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await h.connect()).transport.sessionId!);
    for (const id of ids) {
      expect(id).toMatch(/^mcp-7\.[0-9a-f-]{36}$/);
      expect(replicaOfSessionId(id)).toBe("mcp-7");
    }
    expect(new Set(ids).size).toBe(3);
    const probe = await rawRequest(h.url.replace(/\/mcp$/, "/healthz"));
    expect(probe.headers["x-retivo-replica"]).toBe("mcp-7");
  });

  it("without an id, derives one from the host name and the bound port", async () => {
    const h = await startHttpHarness();
    harnesses.push(h);
    expect(h.server.replicaId).toMatch(new RegExp(`-${h.server.port}$`));
    expect((await h.connect()).transport.sessionId!.startsWith(`${h.server.replicaId}.`)).toBe(true);
  });

  it("answers 404 to a session id another replica minted, so the client initialises anew", async () => {
    const a = await startHttpHarness({ server: { replicaId: "mcp-a" } });
    harnesses.push(a);
    const b = await startHttpHarness({ server: { replicaId: "mcp-b" } });
    harnesses.push(b);
    const ofA = (await a.connect()).transport.sessionId!;
    for (const sessionId of [ofA, "mcp-b.00000000-0000-4000-8000-000000000000", "made-up"]) {
      const answer = await rawRequest(b.url, {
        method: "POST",
        headers: { ...MCP_HEADERS, "mcp-session-id": sessionId },
        body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
      });
      expect(answer.status, sessionId).toBe(404);
      expect(answer.json()).toMatchObject({ error: { code: -32001, message: expect.stringMatching(/initialize a new session/) } });
    }
    // On A the same id still works.
    const onA = await rawRequest(a.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-session-id": ofA },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    expect(onA.status).toBe(200);
  });
});
