/**
 * OAuth 2.1 on `serve --http`, end to end: a real authorization server
 * (oidc-provider on loopback) issues real JWT access tokens, and real MCP
 * clients (the SDK's Streamable HTTP transport, with an Authorization header
 * or with the SDK's own OAuth client provider) present them. No token is
 * made by hand: the wrong-audience token is one the provider minted for
 * another resource, the wrong-issuer token one a second provider minted.
 */
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { answerApproval } from "../../src/guard/human-answer.js";
import { startAuthorizationServer, type AuthorizationServer } from "../support/authorization-server.js";
import { seededId, storedStatus } from "../support/harness.js";
import { INITIALIZE, MCP_HEADERS, rawRequest, startHttpHarness, type HttpHarness } from "./helpers.js";

const READ = "interventions:read";
const BOTH = "interventions:read interventions:write";
const SECRET = "a-client-secret-of-enough-length-0123456789";

let as: AuthorizationServer;
let otherAs: AuthorizationServer;
let sameKeysAs: AuthorizationServer;
let h: HttpHarness | undefined;

beforeAll(async () => {
  as = await startAuthorizationServer([
    { id: "agent-alice", secret: SECRET, scope: BOTH },
    { id: "agent-bob", secret: SECRET, scope: BOTH },
    { id: "reader", secret: SECRET, scope: READ },
    { id: "short-lived", secret: SECRET, scope: BOTH, tokenTtlSeconds: 1 },
  ]);
  otherAs = await startAuthorizationServer([{ id: "agent-alice", secret: SECRET, scope: BOTH }]);
  // Another issuer that signs with the very same key: only the `iss` check tells its tokens apart.
  sameKeysAs = await startAuthorizationServer([{ id: "agent-alice", secret: SECRET, scope: BOTH }], { signingKey: as.signingKey });
});
afterAll(async () => {
  await as?.close();
  await otherAs?.close();
  await sameKeysAs?.close();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function startWithOAuth(): Promise<HttpHarness> {
  return startHttpHarness({ env: { RETIVO_OAUTH_ISSUER: as.issuer }, server: { oauthTuning: { clockToleranceSeconds: 0 } } });
}

const listCall = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "list_interventions", arguments: { limit: 1 } } };

function post(url: string, token: string | undefined, body: unknown = INITIALIZE) {
  return rawRequest(url, {
    method: "POST",
    headers: { ...MCP_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

/** A real MCP client presenting `token` as its bearer credential. */
async function clientWith(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "oauth-test-client", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

describe("OAuth resource server on /mcp", () => {
  it("answers a request without a token with 401 naming the protected resource metadata, which names the issuer and this resource", async () => {
    h = await startWithOAuth();
    const refused = await post(h.url, undefined);
    expect(refused.status).toBe(401);
    const origin = new URL(h.url).origin;
    const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
    expect(refused.headers["www-authenticate"]).toBe(`Bearer scope="${READ}", resource_metadata="${metadataUrl}"`);

    for (const url of [metadataUrl, `${origin}/.well-known/oauth-protected-resource`]) {
      const response = await fetch(url, { headers: { origin: "https://some-browser-client.example" } });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(await response.json()).toEqual({
        resource: h.url,
        authorization_servers: [as.issuer],
        scopes_supported: ["interventions:read", "interventions:write"],
        bearer_methods_supported: ["header"],
        resource_name: "Retivo interventions (retivo-mcp)",
      });
    }
  });

  it("refuses a real token minted for another resource, and one from another issuer, with invalid_token", async () => {
    h = await startWithOAuth();
    const forAnotherResource = await as.token("agent-alice", { resource: "http://127.0.0.1:1/mcp" });
    const fromAnotherIssuer = await otherAs.token("agent-alice", { resource: h.url });
    const fromAnotherIssuerWithOurKey = await sameKeysAs.token("agent-alice", { resource: h.url });
    for (const [token, reason] of [
      [forAnotherResource, "issued for another resource"],
      [fromAnotherIssuer, "signature does not verify against the issuer's keys"],
      [fromAnotherIssuerWithOurKey, "another issuer"],
      ["not-a-jwt", "not a valid signed JWT"],
    ] as const) {
      const refused = await post(h.url, token);
      expect(refused.status, reason).toBe(401);
      expect(refused.headers["www-authenticate"]).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"$/);
      expect(refused.body).toContain(reason);
      await expect(clientWith(h.url, token)).rejects.toMatchObject({ code: 401 });
    }
    // The same client with a token for this resource is welcome.
    const client = await clientWith(h.url, await as.token("agent-alice", { resource: h.url }));
    expect((await call(client, "list_interventions", { limit: 1 })).isError).toBeFalsy();
    await client.close();
  });

  it("refuses an expired token", async () => {
    h = await startWithOAuth();
    const token = await as.token("short-lived", { resource: h.url });
    expect((await post(h.url, token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const refused = await post(h.url, token);
    expect(refused.status).toBe(401);
    expect(refused.headers["www-authenticate"]).toContain('error_description="the access token has expired"');
  });

  it("lets a read-only token list and read, and answers a write with 403 insufficient_scope asking for both scopes", async () => {
    h = await startWithOAuth();
    const token = await as.token("reader", { resource: h.url });
    const client = await clientWith(h.url, token);
    const listed = await call(client, "list_interventions", { limit: 2 });
    expect(listed.isError).toBeFalsy();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    expect((await call(client, "get_intervention", { intervention_id: id })).isError).toBeFalsy();
    expect((await client.readResource({ uri: `retivo://interventions/${id}` })).contents.length).toBeGreaterThan(0);
    const before = storedStatus(h.runtime, id);
    await expect(call(client, "pause_intervention", { intervention_id: id })).rejects.toMatchObject({ code: 403, message: expect.stringContaining("interventions:write") });
    await expect(call(client, "create_intervention", { user_id: "u_1", channel: "email" })).rejects.toMatchObject({ code: 403 });
    expect(storedStatus(h.runtime, id)).toEqual(before);
    await client.close();

    const init = await post(h.url, token);
    const sessionId = String(init.headers["mcp-session-id"]);
    const refused = await rawRequest(h.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "approve_intervention", arguments: { intervention_id: id } } }),
    });
    expect(refused.status).toBe(403);
    expect(refused.headers["www-authenticate"]).toMatch(
      /^Bearer error="insufficient_scope", scope="interventions:read interventions:write", error_description="this request needs the scope interventions:write", resource_metadata="[^"]+"$/,
    );
    expect(refused.json()).toMatchObject({ jsonrpc: "2.0", id: 9, error: { message: expect.stringContaining("interventions:write") } });
  });

  it("works with the SDK's OAuth client provider: discovery from the 401, then tokens for the scopes the client is configured with", async () => {
    h = await startWithOAuth();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const connectAs = async (clientId: string, scope: string) => {
      const provider = new ClientCredentialsProvider({ clientId, clientSecret: SECRET, scope, expectedIssuer: as.issuer });
      const client = new Client({ name: "oauth-sdk-client", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(h!.url), { authProvider: provider }));
      return { client, scope: () => decodeJwt(provider.tokens()!.access_token).scope };
    };
    // The SDK's client credentials provider asks for its configured scope, also when stepping up
    // (SDK 1.32.2), so a read-only client is refused the write after one upscoping attempt.
    const reader = await connectAs("reader", READ);
    expect(reader.scope()).toBe(READ);
    expect((await call(reader.client, "list_interventions", { limit: 1 })).isError).toBeFalsy();
    await expect(call(reader.client, "pause_intervention", { intervention_id: id })).rejects.toMatchObject({ code: 403 });
    expect(storedStatus(h.runtime, id).status).toBe("planned");

    const writer = await connectAs("agent-alice", BOTH);
    expect(writer.scope()).toBe(BOTH);
    expect((await call(writer.client, "pause_intervention", { intervention_id: id })).isError).toBeFalsy();
    expect(storedStatus(h.runtime, id).status).toBe("paused");
    await reader.client.close();
    await writer.client.close();
  });

  it("binds approvals to the token's subject: a new session with a new token of that subject finds its request, another subject does not", async () => {
    h = await startWithOAuth();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const first = await clientWith(h.url, await as.token("agent-alice", { resource: h.url }));
    const pending = (await call(first, "approve_intervention", { intervention_id: id })).structuredContent as { approval: { approval_id: string } };
    const approvalId = pending.approval.approval_id;
    expect(approvalId).toBeTruthy();
    await first.close();

    const again = await clientWith(h.url, await as.token("agent-alice", { resource: h.url }));
    const found = (await call(again, "approve_intervention", { intervention_id: id })).structuredContent as { approval: { approval_id: string } };
    expect(found.approval.approval_id).toBe(approvalId);

    const bob = await clientWith(h.url, await as.token("agent-bob", { resource: h.url }));
    const bobs = (await call(bob, "approve_intervention", { intervention_id: id })).structuredContent as { approval: { approval_id: string } };
    expect(bobs.approval.approval_id).not.toBe(approvalId);
    const rows = await h.runtime.store.approvals.requestsOf(id, "approve", `oauth:${as.issuer}:agent-alice`);
    expect(rows.map((row) => row.id)).toContain(approvalId);

    // A human approves alice's request; any running server releases it, and alice's next call reports it.
    expect((await answerApproval(h.runtime.store, approvalId, { approve: true, via: "cli", answer: "approve" })).ok).toBe(true);
    await expect.poll(() => storedStatus(h!.runtime, id).status, { timeout: 10_000 }).toBe("approved");
    expect((await call(again, "approve_intervention", { intervention_id: id })).structuredContent).toEqual({ id, status: "approved" });
    await again.close();
    await bob.close();
  });

  it("keeps a session across a refreshed token of the same subject, and is an unknown session to another subject", async () => {
    h = await startWithOAuth();
    const init = await post(h.url, await as.token("agent-alice", { resource: h.url }));
    expect(init.status).toBe(200);
    const sessionId = String(init.headers["mcp-session-id"]);
    const inSession = async (token: string) =>
      rawRequest(h!.url, {
        method: "POST",
        headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
        body: JSON.stringify(listCall),
      });
    expect((await inSession(await as.token("agent-alice", { resource: h.url }))).status).toBe(200);
    expect((await inSession(await as.token("agent-bob", { resource: h.url }))).status).toBe(404);
  });
});
