/**
 * OAuth for a human at an interactive client: the authorization code flow
 * with PKCE, driven by the SDK's own OAuth client machinery (discovery from
 * the 401, the authorization URL with the resource indicator and the code
 * challenge, the code exchange) against the real authorization server, whose
 * login page the scripted human signs in on. Then step-up: the first write
 * gets 403 insufficient_scope, the SDK sends the human back to consent to
 * both scopes, and the same session carries on with the new token.
 */
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startAuthorizationServer, type AuthorizationServer } from "../support/authorization-server.js";
import { seededId, storedStatus } from "../support/harness.js";
import { startHttpHarness, type HttpHarness } from "./helpers.js";

const REDIRECT = "http://127.0.0.1:7/callback";
let as: AuthorizationServer;
let h: HttpHarness | undefined;

beforeAll(async () => {
  as = await startAuthorizationServer([{ id: "ide", redirectUri: REDIRECT, scope: "interventions:read interventions:write" }], {
    accounts: { alice: "interventions:read interventions:write", rita: "interventions:read" },
  });
});
afterAll(() => as?.close());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** An IDE's OAuth client state, pre-registered as 'ide'; the browser it would open is recorded instead. */
class IdeOAuthClient implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = "";
  readonly redirectUrl = REDIRECT;
  readonly clientMetadata = { client_name: "IDE", redirect_uris: [REDIRECT], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "none" };
  clientInformation(): OAuthClientInformationMixed {
    return { client_id: "ide" };
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  claims() {
    return decodeJwt(this.saved!.access_token);
  }
}

/** Connects; the first attempt sends the human to the authorization server, who signs in as `account`. */
async function connectAs(url: string, account: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport; oauth: IdeOAuthClient }> {
  const oauth = new IdeOAuthClient();
  const client = new Client({ name: "ide", version: "1.0.0" });
  const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth });
  await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
  await first.finishAuth(await as.login(oauth.authorizationUrl!, account));
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth });
  await client.connect(transport);
  return { client, transport, oauth };
}

const call = (client: Client, name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

describe("authorization code + PKCE through the SDK's OAuth client", () => {
  it("signs the human in for reading, steps up to writing on the first write, and keeps the session", async () => {
    h = await startHttpHarness({ env: { RETIVO_OAUTH_ISSUER: as.issuer } });
    const { client, transport, oauth } = await connectAs(h.url, "alice");
    const asked = oauth.authorizationUrl!.searchParams;
    expect(asked.get("resource")).toBe(h.url);
    expect(asked.get("scope")).toBe("interventions:read");
    expect(asked.get("code_challenge_method")).toBe("S256");
    expect(oauth.claims()).toMatchObject({ sub: "alice", aud: h.url, scope: "interventions:read", iss: as.issuer });
    expect((await call(client, "list_interventions", { limit: 1 })).isError).toBeFalsy();

    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const sessionId = transport.sessionId;
    await expect(call(client, "pause_intervention", { intervention_id: id })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(oauth.authorizationUrl!.searchParams.get("scope")).toBe("interventions:read interventions:write");
    await transport.finishAuth(await as.login(oauth.authorizationUrl!, "alice"));
    expect(oauth.claims().scope).toBe("interventions:read interventions:write");
    expect((await call(client, "pause_intervention", { intervention_id: id })).isError).toBeFalsy();
    expect(transport.sessionId).toBe(sessionId);
    expect(storedStatus(h.runtime, id).status).toBe("paused");

    // The approval a human's agent asks for belongs to that human.
    const planned = seededId(h.runtime, "planned", "AND flagged = 0");
    const pending = (await call(client, "approve_intervention", { intervention_id: planned })).structuredContent as { approval: { approval_id: string } };
    const rows = await h.runtime.store.approvals.requestsOf(planned, "approve", `oauth:${as.issuer}:alice`);
    expect(rows.map((row) => row.id)).toEqual([pending.approval.approval_id]);
    await client.close();
  });

  it("a human who may only read consents to reading only: the write stays refused after the step-up", async () => {
    h = await startHttpHarness({ env: { RETIVO_OAUTH_ISSUER: as.issuer } });
    const { client, transport, oauth } = await connectAs(h.url, "rita");
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await expect(call(client, "pause_intervention", { intervention_id: id })).rejects.toBeInstanceOf(UnauthorizedError);
    await transport.finishAuth(await as.login(oauth.authorizationUrl!, "rita"));
    expect(oauth.claims().scope).toBe("interventions:read");
    await expect(call(client, "pause_intervention", { intervention_id: id })).rejects.toMatchObject({ code: 403 });
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    await client.close();
  });
});
