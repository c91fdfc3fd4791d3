/**
 * OAuth at start and when the issuer's keys are out of reach: an issuer
 * whose metadata cannot be read stops the start with a message naming it;
 * an explicit RETIVO_OAUTH_JWKS_URL needs no metadata; keys that cannot be
 * fetched while serving give 503, not a 401 that would send the client to
 * log in again for nothing.
 */
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { openRuntime } from "../../src/runtime.js";
import { startHttpServer } from "../../src/transport/http.js";
import { startAuthorizationServer, type AuthorizationServer } from "../support/authorization-server.js";
import { INITIALIZE, MCP_HEADERS, rawRequest, startHttpHarness, type HttpHarness } from "./helpers.js";

let as: AuthorizationServer;
let h: HttpHarness | undefined;
beforeAll(async () => {
  as = await startAuthorizationServer([{ id: "agent", secret: "s".repeat(40), scope: "interventions:read interventions:write" }]);
});
afterAll(() => as?.close());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("OAuth at start", () => {
  it("stops the start, naming the issuer, when its metadata cannot be read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "retivo-oauth-"));
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const config = parseConfig(["serve", "--http", "--port", "0"], { RETIVO_DB: join(dir, "r.db"), HOME: dir, RETIVO_DATA_DIR: dir, RETIVO_LLM: "template", RETIVO_OAUTH_ISSUER: issuer });
    const runtime = await openRuntime(config, silentLogger(), { startDispatcher: false });
    try {
      const start = startHttpServer(runtime);
      await expect(start).rejects.toBeInstanceOf(ConfigError);
      await expect(start).rejects.toThrow(new RegExp(`RETIVO_OAUTH_ISSUER ${issuer}.*RETIVO_OAUTH_JWKS_URL`));
    } finally {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses RETIVO_OAUTH_JWKS_URL as given, and answers 503 while those keys cannot be fetched", async () => {
    h = await startHttpHarness({ env: { RETIVO_OAUTH_ISSUER: as.issuer, RETIVO_OAUTH_JWKS_URL: `http://127.0.0.1:${await closedPort()}/jwks` } });
    const token = await as.token("agent", { resource: h.url });
    const response = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(INITIALIZE) });
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.headers["www-authenticate"]).toBeUndefined();
    await h.close();

    h = await startHttpHarness({ env: { RETIVO_OAUTH_ISSUER: as.issuer, RETIVO_OAUTH_JWKS_URL: `${as.issuer}/jwks` } });
    const ok = await rawRequest(h.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, authorization: `Bearer ${await as.token("agent", { resource: h.url })}` },
      body: JSON.stringify(INITIALIZE),
    });
    expect(ok.status).toBe(200);
  });

  it("follows key rotation: a token signed with a new key verifies once the JWKS is fetched again, and one with the old key still does", async () => {
    const rotating = await startAuthorizationServer([{ id: "agent", secret: "s".repeat(40), scope: "interventions:read" }]);
    try {
      h = await startHttpHarness({ env: { RETIVO_OAUTH_ISSUER: rotating.issuer }, server: { oauthTuning: { jwksCooldownMs: 0 } } });
      const send = (token: string) => rawRequest(h!.url, { method: "POST", headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(INITIALIZE) });
      const before = await rotating.token("agent", { resource: h.url });
      expect((await send(before)).status).toBe(200);
      await rotating.rotateKeys();
      const after = await rotating.token("agent", { resource: h.url });
      expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
      expect((await send(after)).status).toBe(200);
      expect((await send(before)).status).toBe(200);
    } finally {
      await rotating.close();
    }
  });

  it("binds tokens to RETIVO_PUBLIC_URL: the metadata names it, and a token for the bound address is refused", async () => {
    h = await startHttpHarness({ env: { RETIVO_OAUTH_ISSUER: as.issuer, RETIVO_PUBLIC_URL: "https://mcp.example.com" } });
    const metadata = (await (await fetch(new URL("/.well-known/oauth-protected-resource/mcp", h.url))).json()) as { resource: string };
    expect(metadata.resource).toBe("https://mcp.example.com/mcp");
    const send = async (resource: string) =>
      rawRequest(h!.url, { method: "POST", headers: { ...MCP_HEADERS, authorization: `Bearer ${await as.token("agent", { resource })}` }, body: JSON.stringify(INITIALIZE) });
    const refused = await send(h.url);
    expect(refused.status).toBe(401);
    expect(refused.headers["www-authenticate"]).toContain('resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"');
    expect((await send("https://mcp.example.com/mcp")).status).toBe(200);
    // What the proxy forwards: the public Host, and a browser client on the public origin.
    const viaProxy = await rawRequest(h.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, host: "mcp.example.com", origin: "https://mcp.example.com", authorization: `Bearer ${await as.token("agent", { resource: "https://mcp.example.com/mcp" })}` },
      body: JSON.stringify(INITIALIZE),
    });
    expect(viaProxy.status).toBe(200);
  });
});
