/**
 * The HTTP boundary: bearer token (401 + WWW-Authenticate), Host and Origin
 * allow-lists (403), body limit (413), and JSON-RPC errors for bodies that
 * are not JSON (-32700) or not JSON-RPC (-32600). Plus the start-up refusal
 * off loopback without a token, in parseConfig and in the server factory.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isLoopbackHost, parseConfig, parseHostHeader } from "../../src/config.js";
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

    // Loopback Host with any port, the server's own origin under each loopback name, and no Origin at all pass.
    for (const headers of <Array<Record<string, string>>>[
      { host: `localhost:${port}`, origin: `http://localhost:${port}` },
      { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` },
      { host: `[::1]:${port}`, origin: `http://[::1]:${port}` },
      { host: `127.0.0.2:${port}`, origin: `http://127.0.0.2:${port}` },
      { host: "localhost" },
      {},
    ]) {
      const ok = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, ...headers }, body });
      expect(ok.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it("refuses look-alike names that merely start with a loopback name, as Host and as Origin", async () => {
    h = await startHttpHarness();
    const port = new URL(h.url).port;
    const body = JSON.stringify(INITIALIZE);
    for (const name of ["127.0.0.1.evil.com", "localhost.evil.com", "evil.com", "127.0.0.1.nip.io", "localhost."]) {
      const byHost = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, host: `${name}:${port}` }, body });
      expect(byHost.status, `Host ${name}`).toBe(403);
      const byOrigin = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, origin: `http://${name}:${port}` }, body });
      expect(byOrigin.status, `Origin ${name}`).toBe(403);
      // The approval page refuses them too, before looking at the link.
      const page = h.url.replace(/\/mcp$/, "/approvals/apr_x?token=t");
      expect((await rawRequest(page, { headers: { host: `${name}:${port}` } })).status, `page Host ${name}`).toBe(403);
      expect((await rawRequest(page, { headers: { origin: `http://${name}:${port}` } })).status, `page Origin ${name}`).toBe(403);
    }
    for (const host of ["evil.com@127.0.0.1", "127.0.0.1/x", "::1", "[::1", "127.0.0.1:99999"]) {
      const malformed = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, host }, body });
      expect(malformed.status, `Host '${host}'`).toBe(403);
    }
  });

  it("refuses a loopback Origin on another port (a local dev server's page) unless it is configured", async () => {
    h = await startHttpHarness();
    const port = Number(new URL(h.url).port);
    const body = JSON.stringify(INITIALIZE);
    for (const origin of ["http://localhost:5173", `http://127.0.0.1:${port + 1}`, "http://[::1]:3000", `https://localhost:${port}`, "http://localhost"]) {
      const refused = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, origin }, body });
      expect(refused.status, origin).toBe(403);
      expect(refused.json()).toMatchObject({ error: { message: expect.stringMatching(/RETIVO_ALLOWED_ORIGINS/) } });
    }
    await h.close();

    h = await startHttpHarness({ env: { RETIVO_ALLOWED_ORIGINS: "http://localhost:5173" } });
    const allowed = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, origin: "http://localhost:5173" }, body });
    expect(allowed.status).toBe(200);
    const stillRefused = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, origin: "http://127.0.0.1:5173" }, body });
    expect(stillRefused.status).toBe(403);
  });

  it("checks Host and Origin before the token, and on every route but the probes", async () => {
    h = await startHttpHarness({ env: { RETIVO_MCP_TOKEN: TOKEN } });
    const foreign = await rawRequest(h.url, { method: "POST", headers: { ...MCP_HEADERS, host: "evil.example", authorization: `Bearer ${TOKEN}` }, body: "{}" });
    expect(foreign.status).toBe(403);
    const page = await rawRequest(h.url.replace(/\/mcp$/, "/approvals/apr_x"), { headers: { origin: "https://evil.example" } });
    expect(page.status).toBe(403);
    // The approval page's own form posts send `Origin: null` (no-referrer): the transport lets the page judge
    // them (its CSRF token), so an unknown link gets the page's 404, not the transport's 403.
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const pagePost = await rawRequest(h.url.replace(/\/mcp$/, "/approvals/apr_x"), { method: "POST", headers: { ...form, origin: "null" }, body: "token=t" });
    expect(pagePost.status).toBe(404);
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
    expect(checkOrigin(policy, "http://localhost:8080")).toBeUndefined(); // reached over loopback on its port
    expect(checkOrigin(policy, "http://[::1]:8080")).toBeUndefined();
    expect(checkOrigin(policy, "http://localhost:5173")?.status).toBe(403); // another local page
    expect(checkOrigin(policy, "http://127.0.0.1.evil.com:8080")?.status).toBe(403);
    expect(checkOrigin(policy, "http://10.0.0.5:9090")?.status).toBe(403);
    expect(checkHost(policy, "127.0.0.1.evil.com")?.status).toBe(403);
    expect(checkHost(policy, "localhost.evil.com:8080")?.status).toBe(403);
    expect(checkHost(policy, "127.0.0.2:8080")).toBeUndefined();
    expect(checkHost(policy, "[::1]:8080")).toBeUndefined();
    expect(checkHost(policy, "LOCALHOST:8080")).toBeUndefined();
    expect(checkOrigin(policy, "http://console.example.com")?.status).toBe(403);
    expect(checkOrigin(policy, "file://")?.status).toBe(403);
    const wildcard = accessPolicy({ boundHost: "0.0.0.0", boundPort: 8080, allowedHosts: [], allowedOrigins: [], token: "t" });
    expect(checkHost(wildcard, "0.0.0.0:8080")?.status).toBe(403);
  });
});

describe("isLoopbackHost and parseHostHeader (unit)", () => {
  it("counts only localhost, 127.0.0.0/8 literals and ::1 as loopback", () => {
    for (const host of ["localhost", "LocalHost", "127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]"]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ["127.0.0.1.evil.com", "127.evil.com", "localhost.evil.com", "localhost.", "evil.com", "128.0.0.1", "0.0.0.0", "::", "[::2]", "127.1", "127.0.0.256", ""]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it("parses Host headers with and without ports, IPv6 in brackets", () => {
    expect(parseHostHeader("[::1]:8080")).toEqual({ hostname: "[::1]", port: 8080 });
    expect(parseHostHeader("[::1]")).toEqual({ hostname: "[::1]", port: undefined });
    expect(parseHostHeader("Localhost:80")).toEqual({ hostname: "localhost", port: 80 });
    expect(parseHostHeader("127.0.0.1.evil.com:8080")).toEqual({ hostname: "127.0.0.1.evil.com", port: 8080 });
    for (const bad of ["::1", "[::1", "[evil]:80", "evil.com@127.0.0.1", "127.0.0.1/x", "a b", "host:", "host:99999", ""]) {
      expect(parseHostHeader(bad), bad).toBeUndefined();
    }
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
