/**
 * The HTTP boundary: bearer token (401 + WWW-Authenticate), Host and Origin
 * allow-lists (403), body limit (413), and JSON-RPC errors for bodies that
 * are not JSON (-32700) or not JSON-RPC (-32600). Plus the start-up refusal
 * off loopback without a token, in parseConfig and in the server factory.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { accessPolicy, checkBearer, checkHost, checkOrigin } from "../../src/transport/http/security.js";
import { startHttpServer } from "../../src/transport/http.js";
import { INITIALIZE, MCP_HEADERS, rawRequest, startHttpHarness, type HttpHarness } from "./helpers.js";

const TOKEN = "s3cret-token-for-tests-0123456789";

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("bearer token", () => {
  it("is required whenever RETIVO_MCP_TOKEN is set: missing or wrong → 401 with WWW-Authenticate", async () => {
    h = await startHttpHarness({ env: { RETIVO_MCP_TOKEN: TOKEN } });
    const missing = await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toMatch(/^Bearer realm="retivo-mcp"/);
    expect(missing.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 }, id: null });

    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, "Bearer"]) {
      const wrong = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, authorization }, body: JSON.stringify(INITIALIZE) });
      expect(wrong.status, authorization).toBe(401);
      expect(wrong.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
    // GET and DELETE are behind the token too.
    expect((await rawRequest(h.url, { headers: { accept: "text/event-stream" } })).status).toBe(401);
    expect((await rawRequest(h.url, { method: "DELETE" })).status).toBe(401);
  });

  it("lets the SDK client in with the right token, and rejects it without", async () => {
    h = await startHttpHarness({ env: { RETIVO_MCP_TOKEN: TOKEN } });
    const c = await h.connect({ token: TOKEN });
    expect((await c.client.listTools()).tools.length).toBeGreaterThan(0);
    await expect(h.connect()).rejects.toThrow(/401|Unauthorized/);
    await expect(h.connect({ token: "nope" })).rejects.toThrow(/401|Unauthorized/);
  });

  it("compares digests of equal length (unit)", () => {
    const policy = accessPolicy({ boundHost: "127.0.0.1", boundPort: 1, allowedHosts: [], allowedOrigins: [], token: "abc" });
    expect(checkBearer(policy, "Bearer abc")).toBeUndefined();
    expect(checkBearer(policy, "bearer abc")).toBeUndefined();
    expect(checkBearer(policy, "Bearer abcd")?.status).toBe(401);
    expect(checkBearer(policy, undefined)?.status).toBe(401);
    const open = accessPolicy({ boundHost: "127.0.0.1", boundPort: 1, allowedHosts: [], allowedOrigins: [], token: undefined });
    expect(checkBearer(open, undefined)).toBeUndefined();
  });
});

describe("refusing to start off loopback without a token", () => {
  it("parseConfig refuses --host 0.0.0.0 without RETIVO_MCP_TOKEN, accepts it with one", () => {
    expect(() => parseConfig(["serve", "--http", "--host", "0.0.0.0"], { RETIVO_DB: ":memory:" })).toThrow(/without a token/);
    expect(() => parseConfig(["serve", "--http", "--host", "192.168.1.10"], { RETIVO_DB: ":memory:" })).toThrow(/RETIVO_MCP_TOKEN/);
    const config = parseConfig(["serve", "--http", "--host", "0.0.0.0"], { RETIVO_DB: ":memory:", RETIVO_MCP_TOKEN: TOKEN });
    expect(config.http).toMatchObject({ host: "0.0.0.0", token: TOKEN });
    expect(parseConfig(["serve", "--http"], { RETIVO_DB: ":memory:" }).http.host).toBe("127.0.0.1");
  });

  it("startHttpServer refuses too when options move it off loopback", async () => {
    h = await startHttpHarness();
    await expect(startHttpServer(h.runtime, { host: "0.0.0.0", port: 0 })).rejects.toThrow(/without a token/);
  });
});

describe("Host and Origin (DNS rebinding)", () => {
  it("answers 403 to a foreign Host, and to a foreign Origin", async () => {
    h = await startHttpHarness();
    const port = new URL(h.url).port;
    const body = JSON.stringify(INITIALIZE);
    const evilHost = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, host: `evil.example:${port}` }, body });
    expect(evilHost.status).toBe(403);
    expect(evilHost.json()).toMatchObject({ error: { message: expect.stringMatching(/Host 'evil\.example' is not allowed/) } });

    const evilOrigin = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, origin: "https://evil.example" }, body });
    expect(evilOrigin.status).toBe(403);
    expect(evilOrigin.json()).toMatchObject({ error: { message: expect.stringMatching(/Origin/) } });

    const nullOrigin = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, origin: "null" }, body });
    expect(nullOrigin.status).toBe(403);

    // Loopback Host and Origin, with any port, pass; so does no Origin at all.
    for (const headers of <Array<Record<string, string>>>[
      { host: `localhost:${port}`, origin: `http://localhost:${port}` },
      { host: `127.0.0.1:${port}`, origin: "http://127.0.0.1:5173" },
      { host: `[::1]:${port}` },
      {},
    ]) {
      const ok = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, ...headers }, body });
      expect(ok.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it("checks Host and Origin before the token, and on every route but the probes", async () => {
    h = await startHttpHarness({ env: { RETIVO_MCP_TOKEN: TOKEN } });
    const foreign = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, host: "evil.example", authorization: `Bearer ${TOKEN}` }, body: "{}" });
    expect(foreign.status).toBe(403);
    const page = await rawRequest(h.url.replace(/\/mcp$/, "/approvals/apr_x"), { headers: { origin: "https://evil.example" } });
    expect(page.status).toBe(403);
    // Probes are reachable by IP from an orchestrator that holds no token.
    expect((await rawRequest(h.url.replace(/\/mcp$/, "/healthz"), { headers: { host: "10.1.2.3:8080" } })).status).toBe(200);
  });

  it("accepts configured hosts and origins (reverse proxy)", async () => {
    h = await startHttpHarness({ env: { RETIVO_ALLOWED_HOSTS: "mcp.example.com", RETIVO_ALLOWED_ORIGINS: "https://console.example.com" } });
    const body = JSON.stringify(INITIALIZE);
    const proxied = await rawRequest(h.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, host: "mcp.example.com", origin: "https://console.example.com" },
      body,
    });
    expect(proxied.status).toBe(200);
    const otherOrigin = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, origin: "https://console.example.com:8443" }, body });
    expect(otherOrigin.status).toBe(403);
  });

  it("normalises hosts and origins (unit)", () => {
    const policy = accessPolicy({
      boundHost: "10.0.0.5",
      boundPort: 8080,
      allowedHosts: ["MCP.Example.com", "::2"],
      allowedOrigins: ["HTTPS://Console.Example.com/", "not a url"],
      token: undefined,
    });
    expect(checkHost(policy, "mcp.example.com:443")).toBeUndefined();
    expect(checkHost(policy, "10.0.0.5:8080")).toBeUndefined();
    expect(checkHost(policy, "[::2]:80")).toBeUndefined();
    expect(checkHost(policy, "[::1]")).toBeUndefined();
    expect(checkHost(policy, undefined)?.status).toBe(403);
    expect(checkHost(policy, "evil.example")?.status).toBe(403);
    expect(checkOrigin(policy, undefined)).toBeUndefined();
    expect(checkOrigin(policy, "https://console.example.com")).toBeUndefined();
    expect(checkOrigin(policy, "http://10.0.0.5:8080")).toBeUndefined(); // its own origin
    expect(checkOrigin(policy, "http://console.example.com")?.status).toBe(403);
    expect(checkOrigin(policy, "file://")?.status).toBe(403);
    const wildcard = accessPolicy({ boundHost: "0.0.0.0", boundPort: 8080, allowedHosts: [], allowedOrigins: [], token: "t" });
    expect(checkHost(wildcard, "0.0.0.0:8080")?.status).toBe(403);
  });
});

describe("request bodies", () => {
  it("answers 413 to a body over the limit", async () => {
    h = await startHttpHarness({ server: { maxBodyBytes: 64 * 1024 } });
    const huge = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, padding: "x".repeat(200 * 1024) } });
    const declared = await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body: huge });
    expect(declared.status).toBe(413);
    expect(declared.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000, message: expect.stringMatching(/Payload Too Large/) } });

    // Chunked, with no Content-Length to refuse up front: cut off while reading.
    const chunked = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, "transfer-encoding": "chunked" }, body: huge });
    expect(chunked.status).toBe(413);
  });

  it("has a 1 MB default", async () => {
    h = await startHttpHarness();
    const justOver = "x".repeat(1024 * 1024 + 1);
    expect((await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body: justOver })).status).toBe(413);
  });

  it("answers -32700 to malformed JSON and -32600 to JSON that is not JSON-RPC", async () => {
    h = await startHttpHarness();
    const parse = await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body: '{"jsonrpc": "2.0", "method": ' });
    expect(parse.status).toBe(400);
    expect(parse.json()).toEqual({ jsonrpc: "2.0", error: { code: -32700, message: expect.stringMatching(/Parse error/) }, id: null });

    for (const body of ['{"hello": "world"}', '{"jsonrpc": "1.0", "id": 7, "method": "ping"}', "[]", "42"]) {
      const invalid = await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body });
      expect(invalid.status, body).toBe(400);
      expect(invalid.json(), body).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
    }
    const withId = await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body: '{"jsonrpc": "1.0", "id": 7, "method": "ping"}' });
    expect(withId.json()).toMatchObject({ id: 7 });

    const notJson = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, "content-type": "text/plain" }, body: "hi" });
    expect(notJson.status).toBe(415);

    const noSession = await rawRequest(h.url, { method: "POST", headers: MCP_HEADERS, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    expect(noSession.status).toBe(400);
    expect(noSession.json()).toMatchObject({ error: { message: expect.stringMatching(/initialize/) } });

    const put = await rawRequest(h.url, { method: "PUT", headers: MCP_HEADERS, body: "{}" });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, POST, DELETE");
    expect((await rawRequest(h.url.replace(/\/mcp$/, "/elsewhere"))).status).toBe(404);
  });
});
