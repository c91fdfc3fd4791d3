/**
 * The approval page's handler (src/guard/approval-page.ts) over real HTTP on
 * loopback, in front of the harness's real store and local backend: what each
 * request is answered with (status, the page's title and words, the headers
 * that keep the link's token from leaking), which hosts and origins are
 * served, and what an answer on the page does to the request. url.test.ts
 * walks the same page as a URL-mode client's human; this file is what a
 * mutation run of the page can afford per mutant.
 */
import { createServer, request, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { approvalPageUrl, createApprovalPageHandler } from "../../src/guard/approval-page.js";
import { silentLogger } from "../../src/log.js";
import { answerApproval } from "../../src/guard/human-answer.js";
import { passphraseRecord, setPassphrase } from "../../src/guard/passphrase.js";
import { pageTokenFor } from "../../src/guard/page-token.js";
import { ApprovalPageHost, startLoopbackApprovalServer } from "../../src/guard/page-server.js";
import type { ApprovalGuardWithPage } from "../../src/guard/guard.js";
import type { GuardRequest } from "../../src/guard/types.js";
import { startHarness, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";
import { guardRequestOf, seededIds, sessionOf } from "./guard-session.js";
import { recordingSink } from "./recorders.js";
import { pageFields } from "./helpers.js";
import { until } from "../support/wait.js";
import { openStore } from "../../src/store/index.js";

let h: Harness | undefined;
let server: Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
  await h?.close();
  h = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Every notice the server's guard sends. */
let notices: ReturnType<typeof recordingSink>;
async function harness(env: Record<string, string> = {}): Promise<Harness> {
  notices = recordingSink();
  h = await startHarness({ env, overrides: { startReleaseLoop: false, noticeSinks: [notices] } });
  return h;
}
const outcomesTold = () => notices.sent.filter((notice) => notice.kind === "outcome").map((notice) => notice.request.status);

const guard = () => h!.runtime.guard as ApprovalGuardWithPage;

const seeded = (status: string) => seededIds(h!.runtime, status);
const requestOf = (id: string, action: GuardRequest["action"] = "approve") => guardRequestOf(h!.runtime, id, action, action === "rollback" ? "wrong segment" : undefined);

/** A pending request for `id` asked in the terminal, and its page link. */
async function pending(id: string, action: GuardRequest["action"] = "approve"): Promise<{ approvalId: string; url: string }> {
  const decision = await guard().authorize(await requestOf(id, action), sessionOf());
  if (decision.kind !== "pending") throw new Error(`expected pending, got ${decision.kind}`);
  const approvalId = decision.pending.approval_id;
  return { approvalId, url: approvalPageUrl(await guard().approvalPage.baseUrl(), approvalId, await pageTokenFor(h!.runtime.store, approvalId)) };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  html: string;
  /** The <h1> of a message page, and its paragraph and role. */
  title?: string;
  text?: string;
  role?: string;
}

/** One HTTP request with node:http, which sends Host and Origin exactly as given. */
function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      let html = "";
      res.on("data", (chunk: Buffer) => (html += chunk.toString()));
      res.on("end", () => {
        const message = /<h1>(.*?)<\/h1><p role="(\w+)">(.*?)<\/p>/s.exec(html);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, html, ...(message ? { title: message[1], role: message[2], text: message[3] } : {}) });
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** The page's hidden fields, as a browser would post them back. */
async function fieldsOf(url: string): Promise<{ token: string; csrf: string }> {
  return pageFields((await call(url)).html);
}

async function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return call(url, { method: "POST", headers: { ...FORM, ...headers }, body: new URLSearchParams(fields).toString() });
}

async function decide(url: string, decision: string, more: Record<string, string> = {}): Promise<Answer> {
  return post(url, { ...(await fieldsOf(url)), decision, ...more });
}

/** Serves the guard's page on a loopback server of the test's own, as an HTTP transport mounts it; its base URL. */
async function serveOwnPage(): Promise<string> {
  server = createServer(guard().approvalPage.handler);
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The request's page link on `base`, with its token. */
const linkOn = async (base: string, approvalId: string) => approvalPageUrl(base, approvalId, await pageTokenFor(h!.runtime.store, approvalId));

const stored = (approvalId: string) => h!.runtime.store.approvals.get(approvalId);

describe("showing a request", () => {
  it("serves the form with headers that keep the token in the page, and only the nonce's script", async () => {
    await harness();
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    const page = await call(url);
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
    });
    const nonce = /<script nonce="([^"]+)">/.exec(page.html)?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(page.headers["content-security-policy"]).toBe(`default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    expect(page.headers["set-cookie"]).toBeUndefined();
    expect(page.html).toContain(`approval ${approvalId}`);
    expect(page.html).not.toContain('name="passphrase"');
    expect((await call(url, { method: "HEAD" })).status).toBe(200);
    // Showing changes nothing.
    expect((await stored(approvalId))!.status).toBe("pending");
  });

  it("asks for the passphrase on the form once one is set", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const [id] = seeded("planned");
    const { url } = await pending(id!);
    expect((await call(url)).html).toContain('<label for="passphrase">Operator passphrase</label>');
  });

  it("shows named operators the tier and who may still approve", async () => {
    dir = mkdtempSync(join(tmpdir(), "retivo-page-"));
    const db = join(dir, "retivo.db");
    const store = await openStore({ dbPath: db });
    for (const name of ["alice", "bob", "carol"]) {
      await store.operators.add({ name, passphrase: await passphraseRecord(`${name}'s own long passphrase`), principal: null, created_at: new Date().toISOString() }, { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } });
    }
    await store.close();
    const policy = join(dir, "policy.json");
    writeFileSync(policy, JSON.stringify({ rules: [{ name: "two", match: {}, require: 2 }] }));
    await harness({ RETIVO_DB: db, RETIVO_POLICY: policy });
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    const counted = await decide(url, "approve", { operator: "alice", passphrase: "alice's own long passphrase" });
    const row = (await stored(approvalId))!;
    expect(counted).toMatchObject({ status: 200, title: "Approval counted", role: "status", text: `Your approval is counted; nothing is released yet: needs 2 of: alice, bob, carol; 1 given (alice). The request expires at ${row.expires_at}.` });
    const page = await call(url);
    expect(page.html).toContain("Approvals: needs 2 of: alice, bob, carol; 1 given (alice).");
    // alice already approved: only bob and carol are offered.
    expect(page.html).toContain('<option value="">(choose who you are)</option><option value="bob">bob</option><option value="carol">carol</option></select>');
  });

  it("answers an unknown link, a missing or wrong token and a malformed id with 404, and other methods with 405", async () => {
    await harness();
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    const base = await guard().approvalPage.baseUrl();
    expect(await call(`${base}/approvals/${approvalId}`)).toMatchObject({ status: 404, title: "Not found", text: "Unknown or invalid approval link." });
    expect(await call(`${base}/approvals/${approvalId}?token=${"x".repeat(43)}`)).toMatchObject({ status: 404, title: "Not found", text: "Unknown or invalid approval link." });
    expect(await call(`${base}/approvals/apr_unknown?token=${new URL(url).searchParams.get("token")}`)).toMatchObject({ status: 404 });
    expect(await call(`${base}/approvals/not-an-id?token=x`)).toMatchObject({ status: 404, title: "Not found", text: "No such approval page." });
    expect(await call(`${base}/elsewhere`)).toMatchObject({ status: 404, text: "No such approval page." });
    expect(await call(`${base}/approvals/${approvalId}/login?token=x`)).toMatchObject({ status: 404, text: "No such approval page." });
    const put = await call(url, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, POST");
  });

  it("says a request expired unanswered, or how it ended, instead of the form", async () => {
    await harness();
    const [a, b] = seeded("planned");
    const unanswered = await pending(a!);
    const approved = await pending(b!);
    await answerApproval(h!.runtime.store, approved.approvalId, { approve: true, via: "cli", answer: "approve", interactive: true });
    const later = new Date(Date.now() + h!.runtime.config.approval.ttlMs + 60_000);
    // Past its expiry but not yet swept: the page sees it from the clock.
    const handler = createApprovalPageHandler({ store: h!.runtime.store, logger: silentLogger(), now: () => later, releaser: { release: async () => ({ kind: "not_approved", row: undefined }), releaseAll: async () => [] } });
    server = createServer(handler);
    await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
    const own = (url: string) => url.replace(/^http:\/\/127\.0\.0\.1:\d+/, `http://127.0.0.1:${(server!.address() as AddressInfo).port}`);
    expect(await call(own(unanswered.url))).toMatchObject({ status: 410, title: "Expired", role: "alert", text: "This request expired unanswered; nothing was released. Ask the agent to request approval again." });
    const late = await post(own(unanswered.url), { ...(await fieldsOf(unanswered.url)), decision: "approve" });
    expect(late).toMatchObject({ status: 410, title: "Expired", role: "alert" });
    // Swept as expired after a human approved it: the page says so in the outcome's words.
    await h!.runtime.store.approvals.close(approved.approvalId, "expired", later, "expired before it was executed", { tenant_id: "live", event: "approval_expired", actor: "test", intervention_id: b!, detail: {} });
    expect(await call(approved.url)).toMatchObject({ status: 410, title: "Expired", text: "Not released: the request expired before it was executed. Nothing changed." });
  });
});

describe("answering on the page", () => {
  it("releases an approval at once and says so; the link then only shows the outcome", async () => {
    await harness();
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    const fields = await fieldsOf(url);
    const released = await post(url, { ...fields, decision: "approve", note: "looks right" });
    const row = (await stored(approvalId))!;
    expect(row).toMatchObject({ status: "executed", decided_by: "human:page", note: "looks right" });
    expect(released).toMatchObject({ status: 200, title: "Released", role: "status" });
    expect(released.text).toMatch(new RegExp(`^Released: ${id} is approved \\(by human:page\\) and goes out at or after `));
    expect(await call(url)).toMatchObject({ status: 409, title: "Already decided", role: "status", text: released.text });
    expect(outcomesTold()).toEqual(["executed"]);
    // The same form posted again (a double click, a back button) is told it was decided, and changes nothing.
    expect(await post(url, { ...fields, decision: "approve" })).toMatchObject({ status: 409, title: "Already decided", role: "alert", text: released.text });
  });

  it("rolls back on the page and names what the channel can undo", async () => {
    await harness();
    const [id] = seeded("sent");
    const { url } = await pending(id!, "rollback");
    const answered = await decide(url, "approve");
    expect(answered).toMatchObject({ status: 200, title: "Rolled back", role: "status" });
    expect(answered.text).toMatch(new RegExp(`^Rolled back: ${id} is rolled back \\(by human:page\\); `));
  });

  it("records a denial with its note", async () => {
    await harness();
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    expect(await decide(url, "deny", { note: "not this week" })).toMatchObject({ status: 200, title: "Denied", role: "status", text: "Denied by human:page. Nothing was released." });
    await until(() => outcomesTold().length > 0, 10_000);
    expect(outcomesTold()).toEqual(["denied"]);
    expect(await stored(approvalId)).toMatchObject({ status: "denied", note: "not this week" });
  });

  it("says 'Not released' when the intervention changed after the request, and why", async () => {
    await harness();
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    await h!.runtime.backend.flag(id!, "a second look");
    const answered = await decide(url, "approve");
    expect(answered).toMatchObject({ status: 200, title: "Not released", role: "alert" });
    expect(answered.text).toMatch(new RegExp(`^Not released: ${id} changed since the human approved it \\(now status planned, version \\d+\\)\\. Nothing changed\\.$`));
    expect((await stored(approvalId))!.status).toBe("void");
  });

  it("refuses what is not a form, a body past 16 KiB, a missing CSRF token and a decision it does not know, changing nothing", async () => {
    await harness();
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    const fields = await fieldsOf(url);
    expect(await call(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...fields, decision: "approve" }) })).toMatchObject({ status: 415, title: "Refused", text: "Expected a form submission. Nothing changed." });
    // Past 16 KiB the page stops reading and drops the connection (it buffers nothing more); at exactly 16 KiB it reads the form.
    const oversized = await call(url, { method: "POST", headers: FORM, body: `${new URLSearchParams({ ...fields, decision: "approve" }).toString()}&note=${"x".repeat(17 * 1024)}` }).then(
      (answer) => `answered ${answer.status}`,
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    expect(["ECONNRESET", "EPIPE", "socket hang up"]).toContain(oversized);
    const exact = new URLSearchParams({ ...fields, decision: "maybe", note: "" }).toString();
    expect(await call(url, { method: "POST", headers: FORM, body: exact + "x".repeat(16 * 1024 - exact.length) })).toMatchObject({ status: 400, text: "Choose approve or deny." });
    expect(await post(url, { token: "x".repeat(43), csrf: fields.csrf, decision: "approve" })).toMatchObject({ status: 404, title: "Not found", text: "Unknown or invalid approval link. Nothing changed." });
    expect(await post(url, { token: fields.token, decision: "approve" })).toMatchObject({ status: 403, title: "Refused", text: "Missing or invalid CSRF token: reload the approval page. Nothing changed." });
    expect(await post(url, { ...fields, csrf: "y".repeat(43), decision: "approve" })).toMatchObject({ status: 403 });
    expect(await post(url, { ...fields, decision: "maybe" })).toMatchObject({ status: 400, title: "Refused", text: "Choose approve or deny." });
    expect(await post(url, fields)).toMatchObject({ status: 400, text: "Choose approve or deny." });
    expect((await stored(approvalId))!.status).toBe("pending");
  });

  it("shows the form again after a wrong passphrase, with the error and what was typed, never the passphrase", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    const wrong = await decide(url, "approve", { passphrase: "wrong horse battery", note: "checked <twice>" });
    expect(wrong.status).toBe(403);
    expect(wrong.html).toMatch(/<p class="error" role="alert">[^<]*passphrase[^<]*<\/p>/i);
    expect(wrong.html).toContain(">checked &lt;twice&gt;</textarea>");
    expect(wrong.html).not.toContain("wrong horse battery");
    expect((await stored(approvalId))!.status).toBe("pending");
    const right = await decide(url, "approve", { passphrase: "correct horse battery" });
    expect(right).toMatchObject({ status: 200, title: "Released" });
  });

  it("keeps the flag acknowledgement ticked after a refused answer on a flagged request", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const id = (dbOf(h!.runtime).prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = 'planned' AND flagged = 1 LIMIT 1").get() as { id: string }).id;
    const { url } = await pending(id);
    const refused = await decide(url, "approve", { passphrase: "wrong horse battery", ack_flag: "yes" });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('name="ack_flag" value="yes" checked>');
    const unticked = await decide(url, "approve", { passphrase: "wrong horse battery" });
    expect(unticked.html).toContain('name="ack_flag" value="yes">');
  });

  it("voids the request after five wrong passphrases and says the system voided it", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    for (let i = 0; i < 4; i++) expect((await decide(url, "approve", { passphrase: `wrong passphrase ${i}` })).status).toBe(403);
    const fields = await fieldsOf(url);
    const fifth = await post(url, { ...fields, decision: "approve", passphrase: "wrong passphrase 5" });
    expect(fifth).toMatchObject({ status: 403, title: "Voided by the system", role: "alert" });
    await until(() => outcomesTold().length > 0, 10_000);
    expect(outcomesTold()).toEqual(["void"]);
    expect(fifth.text).toMatch(/^Not released: .+\. Nothing changed\.$/);
    expect((await stored(approvalId))!.status).toBe("void");
    expect(await post(url, { ...fields, decision: "approve", passphrase: "correct horse battery" })).toMatchObject({ status: 409, title: "Voided by the system", role: "alert" });
  });

  it("answers a request another human decided first with what they decided", async () => {
    await harness();
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    const fields = await fieldsOf(url);
    await answerApproval(h!.runtime.store, approvalId, { approve: false, via: "cli", answer: "deny", note: null, interactive: true });
    const late = await post(url, { ...fields, decision: "approve" });
    expect(late).toMatchObject({ status: 409, title: "Already decided", role: "alert", text: "Denied by human:cli. Nothing was released." });
  });
});

describe("who is served", () => {
  it("refuses cross-site posts by Origin and Sec-Fetch-Site, and origins on another scheme or port", async () => {
    await harness();
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    const fields = { ...(await fieldsOf(url)), decision: "approve" };
    const port = new URL(url).port;
    const refused = { status: 403, title: "Refused", text: "Cross-site request refused. Nothing changed." };
    expect(await post(url, fields, { "sec-fetch-site": "cross-site" })).toMatchObject(refused);
    expect(await post(url, fields, { origin: `https://127.0.0.1:${port}` })).toMatchObject(refused);
    expect(await post(url, fields, { origin: "http://127.0.0.1" })).toMatchObject(refused);
    expect(await post(url, fields, { origin: "not a url" })).toMatchObject(refused);
    expect((await stored(approvalId))!.status).toBe("pending");
    // Its own origin, and same-site fetch metadata, are fine.
    expect(await post(url, fields, { origin: `http://127.0.0.1:${port}`, "sec-fetch-site": "same-origin" })).toMatchObject({ status: 200, title: "Released" });
  });

  it("behind a public URL, serves its host (with its port or none) from any peer, and refuses other ports and hosts", async () => {
    await harness();
    const local = await serveOwnPage();
    guard().approvalPage.mount(local, "https://approvals.example.com/");
    const [id] = seeded("planned");
    const { approvalId } = await pending(id!);
    const path = await linkOn(local, approvalId);
    const offLoopback = { status: 403, title: "Refused", text: "The approval page answers only on loopback (127.0.0.1), or at the server&#39;s public URL." };
    expect((await call(path, { headers: { host: "approvals.example.com" } })).status).toBe(200);
    expect((await call(path, { headers: { host: "approvals.example.com:443" } })).status).toBe(200);
    expect(await call(path, { headers: { host: "approvals.example.com:8443" } })).toMatchObject(offLoopback);
    expect(await call(path, { headers: { host: "approvals.example.com.evil.net" } })).toMatchObject(offLoopback);
    expect(await call(path, { headers: { host: "other.example.com" } })).toMatchObject(offLoopback);
    // The public origin may post; the links name the public URL.
    const fields = pageFields((await call(path, { headers: { host: "approvals.example.com" } })).html);
    expect(await post(path, { ...fields, decision: "deny" }, { host: "approvals.example.com", origin: "https://approvals.example.com" })).toMatchObject({ status: 200, title: "Denied" });
    expect(await guard().approvalPage.baseUrl()).toBe("https://approvals.example.com");
  });

  it("behind a plain-http public URL, takes port 80 as its port", async () => {
    await harness();
    const local = await serveOwnPage();
    guard().approvalPage.mount(local, "http://approvals.internal");
    const [id] = seeded("planned");
    const { approvalId } = await pending(id!);
    const path = await linkOn(local, approvalId);
    expect((await call(path, { headers: { host: "approvals.internal:80" } })).status).toBe(200);
    expect((await call(path, { headers: { host: "approvals.internal:443" } })).status).toBe(403);
  });
});

/** A raw HTTP/1.0 request on a socket, for what node:http's client always adds (a Host header). */
function rawRequest(url: string, text: string): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname, () => socket.end(text));
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("more of what is served, and how", () => {
  it("builds links on any base URL, trailing slashes or not", () => {
    expect(approvalPageUrl("http://127.0.0.1:9//", "apr_x", "t/k+n")).toBe("http://127.0.0.1:9/approvals/apr_x?token=t%2Fk%2Bn");
    expect(approvalPageUrl("https://mcp.example.com/base", "apr_a b", "t")).toBe("https://mcp.example.com/base/approvals/apr_a%20b?token=t");
  });

  it("refuses a request without a Host header, and a path that only ends like an approval id", async () => {
    await harness();
    const [id] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    const token = new URL(url).searchParams.get("token")!;
    const answer = await rawRequest(url, `GET /approvals/${approvalId}?token=${token} HTTP/1.0\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.[01] 403 /);
    const base = await guard().approvalPage.baseUrl();
    expect(await call(`${base}/approvals/x/${approvalId}?token=${token}`)).toMatchObject({ status: 404, text: "No such approval page." });
    expect(await call(`${base}/approvals/login/callback?code=x&state=y`)).toMatchObject({ status: 404, text: "No such approval page." });
  });

  it("takes a form with a charset, and Host and Origin without a port as port 80", async () => {
    await harness();
    const [a, b] = seeded("planned");
    const first = await pending(a!);
    const fields = await fieldsOf(first.url);
    const body = new URLSearchParams({ ...fields, decision: "deny" }).toString();
    expect(await call(first.url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" }, body })).toMatchObject({ status: 200, title: "Denied" });
    const second = await pending(b!);
    const more = await fieldsOf(second.url);
    expect(await post(second.url, { ...more, decision: "deny" }, { host: "127.0.0.1", origin: "http://127.0.0.1" })).toMatchObject({ status: 200, title: "Denied" });
  });

  it("serves an IPv4 peer seen through a dual-stack socket as loopback", async () => {
    await harness();
    server = createServer(guard().approvalPage.handler);
    const listening = await new Promise<boolean>((done) => {
      server!.once("error", () => done(false));
      server!.listen(0, "::", () => done(true));
    });
    if (!listening) return; // no IPv6 on this machine: nothing is mapped
    const port = (server.address() as AddressInfo).port;
    guard().approvalPage.mount(`http://127.0.0.1:${port}`);
    const [id] = seeded("planned");
    const { url } = await pending(id!);
    expect(url.startsWith(`http://127.0.0.1:${port}/`)).toBe(true);
    expect((await call(url)).status).toBe(200);
  });

  it("behind a public URL with its own port, serves that port only", async () => {
    await harness();
    const local = await serveOwnPage();
    guard().approvalPage.mount(`${local}/`, "https://approvals.example.com:8443//");
    expect(await guard().approvalPage.baseUrl()).toBe("https://approvals.example.com:8443");
    const [id] = seeded("planned");
    const { approvalId } = await pending(id!);
    const path = await linkOn(local, approvalId);
    expect((await call(path, { headers: { host: "approvals.example.com:8443" } })).status).toBe(200);
    expect((await call(path, { headers: { host: "approvals.example.com:443" } })).status).toBe(403);
  });

  it("says a swept request expired unanswered in its own words, and a late answer on an expired one why", async () => {
    await harness();
    const [id, other] = seeded("planned");
    const { approvalId, url } = await pending(id!);
    await h!.runtime.store.approvals.close(approvalId, "expired", new Date(), "expired unanswered", { tenant_id: "live", event: "approval_expired", actor: "test", intervention_id: id!, detail: {} });
    expect(await call(url)).toMatchObject({ status: 410, title: "Expired", text: "This request expired unanswered; nothing was released. Ask the agent to request approval again." });
    // Past its expiry but not yet swept, a post is told when it expired.
    const late = await pending(other!);
    const fields = await fieldsOf(late.url);
    const row = (await stored(late.approvalId))!;
    const later = new Date(Date.parse(row.expires_at) + 1000);
    const handler = createApprovalPageHandler({ store: h!.runtime.store, logger: silentLogger(), now: () => later, releaser: { release: async () => ({ kind: "not_approved", row: undefined }), releaseAll: async () => [] } });
    server = createServer(handler);
    await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
    const own = late.url.replace(/^http:\/\/127\.0\.0\.1:\d+/, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    expect(await post(own, { ...fields, decision: "approve" })).toMatchObject({ status: 410, title: "Expired", text: `Approval request ${late.approvalId} expired at ${row.expires_at}; ask the agent to try again.` });
  });

  it("keeps the link's token on the form it shows again, and an empty note empty", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const [id] = seeded("planned");
    const { url } = await pending(id!);
    const wrong = await decide(url, "approve", { passphrase: "wrong horse battery" });
    expect(wrong.status).toBe(403);
    expect(wrong.html).toContain(`name="token" value="${new URL(url).searchParams.get("token")}"`);
    expect(wrong.html).toContain('<textarea id="note" name="note" rows="2" maxlength="500"></textarea>');
  });
});

describe("the page's own loopback listener", () => {
  it("listens on loopback only, refuses a port in use, and is gone once closed", async () => {
    await harness();
    const host = new ApprovalPageHost(guard().approvalPage.handler);
    const base = await host.baseUrl();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await host.baseUrl()).toBe(base);
    const port = Number(new URL(base).port);
    const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address;
    if (external) await expect(call(`http://${external}:${port}/approvals/`)).rejects.toThrow(/ECONNREFUSED/);
    await expect(startLoopbackApprovalServer(guard().approvalPage.handler, port)).rejects.toThrow(/EADDRINUSE/);
    await host.close();
    await expect(call(`${base}/approvals/`)).rejects.toThrow(/ECONNREFUSED/);
    await host.close();
  });

  it("names the mounted URL once mounted, without its trailing slashes, and starts no listener", async () => {
    await harness();
    const host = new ApprovalPageHost(guard().approvalPage.handler);
    host.mount("http://127.0.0.1:8123///");
    expect(await host.baseUrl()).toBe("http://127.0.0.1:8123");
    expect(host.publicBase()).toBeUndefined();
    host.mount("http://127.0.0.1:8123", "https://mcp.example.com/");
    expect(await host.baseUrl()).toBe("https://mcp.example.com");
    expect(host.publicBase()).toBe("https://mcp.example.com");
    await host.close();
  });
});
