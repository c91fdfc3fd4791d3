/**
 * The approval page's OIDC login against a real authorization server
 * (oidc-provider on loopback, a confidential client with the authorization
 * code flow and PKCE), on a real `serve --http` server: the operator logs in,
 * the claim names them, and they decide without a passphrase. Then the
 * issue's 2-of-3 flow with one approval from the page login and one from the
 * signed webhook: released once. An identity that maps to no operator, a
 * login answer for another attempt, a forged session cookie and a post
 * without the CSRF token are refused, and nothing is recorded. Last, the
 * same login in a real Chromium: link, the issuer's login page, back, approve.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startAuthorizationServer, type AuthorizationServer } from "../support/authorization-server.js";
import { chromiumPath, launchBrowser, NO_BROWSER } from "../support/browser.js";
import { startChatTool, type ChatTool } from "../support/chat-tool.js";
import type { HttpHarness } from "../transport/helpers.js";
import { decisionsUrl, pendingApproval, teamServer, WEBHOOK_SECRET as SECRET } from "./team-server.js";
import { freePort } from "../support/ports.js";
const CLIENT_SECRET = "the approval page's client secret";
let as: AuthorizationServer;
let port: number;
let h: HttpHarness | undefined;
let chat: ChatTool | undefined;

beforeAll(async () => {
  port = await freePort();
  as = await startAuthorizationServer([{ id: "approval-page", secret: CLIENT_SECRET, redirectUri: `http://127.0.0.1:${port}/approvals/login/callback`, scope: "openid profile" }], {
    accounts: { alice: "openid profile", bob: "openid profile", zed: "openid profile" },
  });
});
afterAll(() => as?.close());
afterEach(async () => {
  await h?.close();
  await chat?.close();
  h = chat = undefined;
});

async function server(): Promise<HttpHarness> {
  chat = await startChatTool(SECRET);
  const harness = await teamServer(chat.url, ["alice", "bob", "carol"], {
    RETIVO_PAGE_OIDC_ISSUER: as.issuer,
    RETIVO_PAGE_OIDC_CLIENT_ID: "approval-page",
    RETIVO_PAGE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
  }, { port });
  return harness;
}

/** A browser's cookie jar, by hand: fetch with manual redirects. */
class Browser {
  private cookies = new Map<string, string>();
  async get(url: string): Promise<Response> {
    const response = await fetch(url, { redirect: "manual", headers: { cookie: this.header() } });
    this.keep(response);
    return response;
  }
  async post(url: string, fields: Record<string, string>): Promise<Response> {
    const response = await fetch(url, { method: "POST", redirect: "manual", headers: { cookie: this.header(), "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });
    this.keep(response);
    return response;
  }
  set(name: string, value: string) {
    this.cookies.set(name, value);
  }
  raw(): Map<string, string> {
    return this.cookies;
  }
  setCookieHeaders: string[] = [];
  private header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
  private keep(response: Response) {
    for (const cookie of response.headers.getSetCookie()) {
      this.setCookieHeaders.push(cookie);
      const [pair] = cookie.split(";");
      const at = pair!.indexOf("=");
      const value = pair!.slice(at + 1);
      if (/Max-Age=0/.test(cookie)) this.cookies.delete(pair!.slice(0, at));
      else this.cookies.set(pair!.slice(0, at), value);
    }
  }
}

const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? "";

/** From the page's "log in" link through the issuer (signed in as `account`) back to the page. */
async function logIn(browser: Browser, pageUrl: string, account: string): Promise<Response> {
  const page = await (await browser.get(pageUrl)).text();
  const href = /<a href="([^"]+\/login\?token=[^"]+)">Log in with/.exec(page)?.[1];
  expect(href).toBeDefined();
  const toIssuer = await browser.get(new URL(href!.replace(/&amp;/g, "&"), pageUrl).href);
  expect(toIssuer.status).toBe(302);
  const authorization = new URL(toIssuer.headers.get("location")!);
  expect(authorization.origin).toBe(as.issuer);
  expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");
  const code = await as.login(authorization, account);
  const state = authorization.searchParams.get("state")!;
  return browser.get(`http://127.0.0.1:${port}/approvals/login/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`);
}

describe("the approval page's OIDC login", () => {
  it("decides as the logged-in operator without a passphrase; with bob's signed webhook decision the 2 of 3 release once", async () => {
    h = await server();
    const { interventionId, approvalId } = await pendingApproval(h);
    const store = h.runtime.store;
    const row = await store.approvals.get(approvalId);
    const { pageTokenFor } = await import("../../src/guard/page-token.js");
    const pageUrl = `http://127.0.0.1:${port}/approvals/${approvalId}?token=${encodeURIComponent(await pageTokenFor(store, row!.id))}`;
    const browser = new Browser();

    const back = await logIn(browser, pageUrl, "alice");
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toBe(new URL(pageUrl).pathname + new URL(pageUrl).search);
    const session = browser.setCookieHeaders.find((cookie) => cookie.startsWith("retivo_operator="))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).toMatch(/Max-Age=600/);
    expect(session).toMatch(/Path=\/approvals\//);

    const page = await (await browser.get(pageUrl)).text();
    expect(page).toContain("Signed in as <strong>alice</strong>");
    expect(page).not.toContain('name="passphrase"');

    // The CSRF token is still required.
    const noCsrf = await browser.post(`http://127.0.0.1:${port}/approvals/${approvalId}`, { token: hidden(page, "token"), decision: "approve" });
    expect(noCsrf.status).toBe(403);
    expect(await store.approvals.decisionsOf(approvalId)).toEqual([]);

    const counted = await browser.post(`http://127.0.0.1:${port}/approvals/${approvalId}`, { token: hidden(page, "token"), csrf: hidden(page, "csrf"), decision: "approve", note: "alice via login" });
    expect(counted.status).toBe(200);
    expect(await counted.text()).toContain("Your approval is counted; nothing is released yet: needs 2 of: alice, bob; 1 given (alice)");
    expect((await store.approvals.decisionsOf(approvalId)).map((d) => [d.operator, d.channel, d.vouched_by])).toEqual([["alice", "page", `oidc:${as.issuer}`]]);

    const byBob = await chat!.decide(decisionsUrl(h, approvalId), { operator: "bob", decision: "approve" });
    expect(byBob.body.status).toBe("executed");
    expect((await store.interventions.get("live", interventionId))!.status).toBe("approved");
    expect((await store.audit.trail(interventionId)).filter((r) => r.event === "approval_executed")).toHaveLength(1);
  }, 60_000);

  it("refuses an identity that maps to no operator, another attempt's answer and a forged session, recording nothing", async () => {
    h = await server();
    const { approvalId } = await pendingApproval(h);
    const store = h.runtime.store;
    const { pageTokenFor } = await import("../../src/guard/page-token.js");
    const pageUrl = `http://127.0.0.1:${port}/approvals/${approvalId}?token=${encodeURIComponent(await pageTokenFor(store, approvalId))}`;

    const zed = new Browser();
    const refused = await logIn(zed, pageUrl, "zed");
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("You signed in as &#39;zed&#39;, which names the operator &#39;zed&#39;, but there is no such operator here");
    expect(zed.raw().has("retivo_operator")).toBe(false);

    // A code obtained for one attempt, brought back with another attempt's flow cookie.
    const first = new Browser();
    const page = await (await first.get(pageUrl)).text();
    const href = new URL(/<a href="([^"]+)">Log in with/.exec(page)![1]!.replace(/&amp;/g, "&"), pageUrl).href;
    const attemptA = new URL((await first.get(href)).headers.get("location")!);
    await first.get(href); // a second attempt replaces the flow cookie
    const code = await as.login(attemptA, "alice");
    const mismatch = await first.get(`http://127.0.0.1:${port}/approvals/login/callback?code=${code}&state=${attemptA.searchParams.get("state")}`);
    expect(mismatch.status).toBe(403);
    expect(await mismatch.text()).toContain("state mismatch");

    // A session cookie made up in the browser: the page still asks for a passphrase, a post without one is refused.
    const forger = new Browser();
    forger.set("retivo_operator", Buffer.from(JSON.stringify({ operator: "alice", exp: Date.now() + 60_000 })).toString("base64url"));
    const forgedPage = await (await forger.get(pageUrl)).text();
    expect(forgedPage).toContain('name="passphrase"');
    const forged = await forger.post(`http://127.0.0.1:${port}/approvals/${approvalId}`, { token: hidden(forgedPage, "token"), csrf: hidden(forgedPage, "csrf"), decision: "approve", operator: "alice" });
    expect(forged.status).toBe(403);
    expect(await store.approvals.decisionsOf(approvalId)).toEqual([]);
    expect((await store.approvals.get(approvalId))!.status).toBe("pending");
  }, 60_000);

  it("says the sign-in service is unreachable, and the passphrase still works", async () => {
    chat = await startChatTool(SECRET);
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    h = await teamServer(chat.url, ["alice", "bob", "carol"], { RETIVO_PAGE_OIDC_ISSUER: nowhere, RETIVO_PAGE_OIDC_CLIENT_ID: "approval-page" }, { port });
    const { approvalId } = await pendingApproval(h);
    const { pageTokenFor } = await import("../../src/guard/page-token.js");
    const pageUrl = `http://127.0.0.1:${port}/approvals/${approvalId}?token=${encodeURIComponent(await pageTokenFor(h.runtime.store, approvalId))}`;
    const browser = new Browser();
    const page = await (await browser.get(pageUrl)).text();
    const href = new URL(/<a href="([^"]+)">Log in with/.exec(page)![1]!.replace(/&amp;/g, "&"), pageUrl).href;
    const unavailable = await browser.get(href);
    expect(unavailable.status).toBe(502);
    expect(await unavailable.text()).toContain("could not be reached. Decide with your passphrase");
    const byPassphrase = await browser.post(`http://127.0.0.1:${port}/approvals/${approvalId}`, { token: hidden(page, "token"), csrf: hidden(page, "csrf"), decision: "approve", operator: "alice", passphrase: "alice long passphrase" });
    expect(byPassphrase.status).toBe(200);
    expect((await h.runtime.store.approvals.decisionsOf(approvalId)).map((d) => [d.operator, d.vouched_by])).toEqual([["alice", "passphrase"]]);
  }, 60_000);

  it.skipIf(!chromiumPath)("logs in and approves in a real browser", async () => {
    h = await server();
    const { approvalId } = await pendingApproval(h);
    const { pageTokenFor } = await import("../../src/guard/page-token.js");
    const pageUrl = `http://127.0.0.1:${port}/approvals/${approvalId}?token=${encodeURIComponent(await pageTokenFor(h.runtime.store, approvalId))}`;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(pageUrl);
      await page.getByRole("link", { name: /Log in with/ }).click();
      await page.getByLabel("Account").fill("alice");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL((url) => url.pathname === `/approvals/${approvalId}`);
      await expect.poll(() => page.getByText("Signed in as").textContent()).toContain("alice");
      await page.getByRole("button", { name: "Approve and release" }).click();
      await expect.poll(() => page.textContent("body")).toContain("Your approval is counted");
    } finally {
      await browser.close();
    }
    expect((await h.runtime.store.approvals.decisionsOf(approvalId)).map((d) => d.operator)).toEqual(["alice"]);
  }, 90_000);
});

if (!chromiumPath) console.warn(NO_BROWSER);
