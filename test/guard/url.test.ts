/**
 * URL-mode elicitation: the client opens the local approval page; the human's
 * POST (one-time token + CSRF token) approves and the client is told with
 * `notifications/elicitation/complete`. A GET, a POST without the CSRF token,
 * a cross-site POST, a non-loopback Host, or a wrong passphrase approve nothing.
 */
import { ElicitationCompleteNotificationSchema, type ElicitRequestURLParams, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { setPassphrase } from "../../src/guard/passphrase.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { approvalRows, auditOf, events, openPage, postPage } from "./helpers.js";
import { dbOf } from "../support/sqlite.js";

/** A GET with node:http, which (unlike fetch) sends Host and Origin exactly as given. */
function getPage(url: string, headers: Record<string, string>): Promise<{ status: number }> {
  const target = new URL(url);
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers }, (res) => {
      res.resume();
      res.on("end", () => resolvePromise({ status: res.statusCode ?? 0 }));
    });
    req.on("error", reject);
    req.end();
  });
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A URL-capable client whose human runs `script` on the page after the client accepted. */
async function urlHarness(script: (url: string) => Promise<void>, env: Record<string, string> = {}) {
  const failures: unknown[] = [];
  const runs: Promise<void>[] = [];
  const harness = await startHarness({
    env,
    capabilities: { elicitation: { url: {} } },
    onElicit: (request): ElicitResult => {
      const { url } = request.params as ElicitRequestURLParams;
      runs.push(new Promise((done) => setTimeout(() => script(url).catch((error: unknown) => void failures.push(error)).finally(done), 10)));
      return { action: "accept" };
    },
  });
  const completed: string[] = [];
  harness.client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => void completed.push(n.params.elicitationId));
  /** Resolves once every page script finished (the page may answer after the guard has seen the store change). */
  const humanDone = () => Promise.all(runs);
  return { harness, completed, failures, humanDone };
}

describe("URL elicitation and the approval page", () => {
  it("approves on the page's POST and tells the client the elicitation is complete", async () => {
    let pageUrl = "";
    const { harness, completed, failures, humanDone } = await urlHarness(async (url) => {
      pageUrl = url;
      const page = await openPage(url);
      expect(page.status).toBe(200);
      expect(page.html).toContain("Approve and release");
      const response = await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve", note: "fine by me" });
      expect(response.status).toBe(200);
    });
    h = harness;
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    expect(await h.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
    await humanDone();
    expect(failures).toEqual([]);
    expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/approvals\/apr_[\w-]+\?token=[\w-]{40,}$/);
    await expect.poll(() => completed.length).toBe(1);
    expect(completed[0]).toMatch(/^apr_/);
    // One-time: the link is dead after the answer.
    expect((await openPage(pageUrl)).status).toBe(409);
  });

  it("changes nothing on GET, on a POST without CSRF, cross-site, or off loopback; a deny refuses", async () => {
    const statuses: Record<string, number> = {};
    const { harness, failures, humanDone } = await urlHarness(async (url) => {
      const page = await openPage(url);
      statuses.get = page.status;
      statuses.getAgain = (await openPage(url)).status;
      statuses.noCsrf = (await postPage(url, { token: page.token, decision: "approve" })).status;
      statuses.badToken = (await postPage(url, { token: "x".repeat(43), csrf: page.csrf, decision: "approve" })).status;
      statuses.crossSite = (await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve" }, { origin: "http://evil.example" })).status;
      statuses.rebound = (await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve" }, { host: "evil.example" })).status;
      statuses.deny = (await postPage(url, { token: page.token, csrf: page.csrf, decision: "deny" })).status;
    });
    h = harness;
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, id);
    expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/denied the request on the approval page/);
    await humanDone();
    expect(failures).toEqual([]);
    expect(statuses).toEqual({ get: 200, getAgain: 200, noCsrf: 403, badToken: 404, crossSite: 403, rebound: 403, deny: 200 });
    expect(storedStatus(h.runtime, id)).toEqual(before);
    expect(events(h.runtime, id)).toEqual(["approval_requested", "approval_answered", "approval_refused"]);
  });

  it("refuses look-alike and foreign Host and Origin names (DNS rebinding), serves every loopback name", async () => {
    const statuses: Record<string, number> = {};
    const { harness, failures, humanDone } = await urlHarness(async (url) => {
      const port = new URL(url).port;
      const page = await openPage(url);
      const form = { token: page.token, csrf: page.csrf, decision: "approve" };
      for (const name of ["127.0.0.1.evil.com", "localhost.evil.com", "evil.com"]) {
        statuses[`GET Host ${name}`] = (await getPage(url, { host: `${name}:${port}` })).status;
        statuses[`POST Host ${name}`] = (await postPage(url, form, { host: `${name}:${port}` })).status;
        statuses[`GET Origin ${name}`] = (await getPage(url, { origin: `http://${name}:${port}` })).status;
        statuses[`POST Origin ${name}`] = (await postPage(url, form, { origin: `http://${name}:${port}` })).status;
      }
      // Another page on this machine (a dev server on another port) is cross-site too.
      statuses["POST Origin other port"] = (await postPage(url, form, { origin: "http://127.0.0.1:5173" })).status;
      for (const host of [`127.0.0.2:${port}`, `[::1]:${port}`, `localhost:${port}`]) {
        statuses[`GET Host ${host}`] = (await getPage(url, { host, origin: `http://${host}` })).status;
      }
      statuses.deny = (await postPage(url, { ...form, decision: "deny" }, { origin: "null" })).status;
    });
    h = harness;
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, id);
    expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/denied the request on the approval page/);
    await humanDone();
    expect(failures).toEqual([]);
    const refused = Object.fromEntries(Object.entries(statuses).filter(([key]) => key.includes("evil") || key.includes("other port")));
    expect(Object.keys(refused)).toHaveLength(13);
    expect(Object.values(refused).every((status) => status === 403), JSON.stringify(refused)).toBe(true);
    expect(Object.entries(statuses).filter(([key]) => !(key in refused))).toEqual([
      [expect.stringMatching(/^GET Host 127\.0\.0\.2:/), 200],
      [expect.stringMatching(/^GET Host \[::1\]:/), 200],
      [expect.stringMatching(/^GET Host localhost:/), 200],
      ["deny", 200],
    ]);
    expect(storedStatus(h.runtime, id)).toEqual(before);
  });

  it("escapes model-written text on the page", async () => {
    let html = "";
    const { harness } = await urlHarness(async (url) => {
      const page = await openPage(url);
      html = page.html;
      await postPage(url, { token: page.token, csrf: page.csrf, decision: "deny" });
    });
    h = harness;
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    dbOf(h.runtime).prepare("UPDATE interventions SET message_body = ? WHERE id = ?").run('<script>alert("x")</script><form action="//evil">', id);
    await h.fails("approve_intervention", { intervention_id: id });
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    // Ours only: the approve form and the deny form.
    expect(html.match(/<form/g)).toEqual(['<form', '<form']);
    expect(html.match(/<form[^>]*>/g)).toEqual(['<form method="POST">', '<form method="POST">']);
  });

  it("with a passphrase set, a wrong one on the page approves nothing and the right one does", async () => {
    const statuses: number[] = [];
    const { harness, failures, humanDone } = await urlHarness(async (url) => {
      const page = await openPage(url);
      expect(page.html).toContain('type="password" name="passphrase"');
      statuses.push((await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve" })).status);
      statuses.push((await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve", passphrase: "wrong wrong" })).status);
      statuses.push((await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve", passphrase: "s3cret operator phrase" })).status);
    });
    h = harness;
    await setPassphrase(h.runtime.store, "s3cret operator phrase");
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    expect(await h.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
    await humanDone();
    expect(failures).toEqual([]);
    expect(statuses).toEqual([403, 403, 200]);
    const refusals = events(h.runtime, id).filter((e) => e === "approval_refused");
    expect(refusals).toHaveLength(2);
  });
  it("approves a flagged intervention only once the human ticks that they read the flag", async () => {
    const answers: { status: number; html: string }[] = [];
    const { harness, failures, humanDone } = await urlHarness(async (url) => {
      const page = await openPage(url);
      expect(page.html).toContain('name="ack_flag"');
      answers.push(await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve" }));
      answers.push(await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve", ack_flag: "yes" }));
    });
    h = harness;
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.runtime.store.interventions.flag("live", id, "check the tone first", "agent:test-client", new Date());
    expect(await h.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
    await humanDone();
    expect(failures).toEqual([]);
    expect(answers.map((a) => a.status)).toEqual([403, 200]);
    expect(answers[0]!.html).toContain("acknowledge the flag to approve it");
    const refused = auditOf(h.runtime, id).filter((e) => e.event === "approval_refused");
    expect(refused.map((e) => [e.actor, e.detail.reason])).toEqual([["human:page", "flag_not_acknowledged"]]);
    expect(auditOf(h.runtime, id).find((e) => e.event === "approval_answered")?.detail).toMatchObject({ via: "page", approved: true, acknowledged_flag: true });
  });

  it("with a passphrase set, an approval without one is refused as such and costs no attempt", async () => {
    const answers: { status: number; html: string }[] = [];
    const { harness, failures, humanDone } = await urlHarness(async (url) => {
      const page = await openPage(url);
      // More empty submissions than the wrong-passphrase limit: none counts as a guess.
      for (let i = 0; i < 6; i++) answers.push(await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve" }));
      answers.push(await postPage(url, { token: page.token, csrf: page.csrf, decision: "approve", passphrase: "s3cret operator phrase" }));
    });
    h = harness;
    await setPassphrase(h.runtime.store, "s3cret operator phrase");
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    expect(await h.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
    await humanDone();
    expect(failures).toEqual([]);
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 403, 200]);
    expect(answers[0]!.html).toContain("The operator passphrase is required to approve.");
    expect(answers[0]!.html).not.toMatch(/Wrong passphrase/);
    const refused = auditOf(h.runtime, id).filter((e) => e.event === "approval_refused");
    expect(new Set(refused.map((e) => `${e.actor} ${String(e.detail.reason)}`))).toEqual(new Set(["unverified:page passphrase_required"]));
    expect(approvalRows(h.runtime, id).map((row) => row.status)).toEqual(["executed"]);
  });
});
