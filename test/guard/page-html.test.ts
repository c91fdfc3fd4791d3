/**
 * The approval page's HTML (src/guard/approval-page-html.ts), rendered from
 * fixed request views and compared byte for byte with the reviewed pages in
 * __snapshots__/page-html/. The views are written by hand in the shape
 * requestViewOf makes them (request-words.test.ts checks that shape on stored
 * requests). Those files are what a human sees: any change to
 * the page's words, structure, styles or script shows up there, in review, and
 * a change nobody meant fails here. The page over HTTP (page-http.test.ts,
 * url.test.ts) checks what each answer does; this checks what is shown.
 */
import { describe, expect, it } from "vitest";
import { approvalFormPage, escapeHtml, messagePage, newNonce, pageSecurityPolicy, type ApprovalFormView } from "../../src/guard/approval-page-html.js";
import type { RequestView } from "../../src/guard/request-view.js";

const NONCE = "bm9uY2Utb2YtdGhlLXRlc3Q";

const plain: RequestView = {
  approvalId: "apr_plainRequest0001",
  action: "approve",
  title: "Release this email",
  interventionId: "int_r7m20jbsn2vs9y5iftwv",
  channel: "email",
  status: "planned",
  version: null,
  verdict: { tone: "ok", headline: "Every required check passed.", reasons: [] },
  recipient: { userId: "user_1", name: null, address: null },
  subject: null,
  body: "Hi Maya,\nyour workspace is ready.",
  writtenBy: "the template writer",
  reasoning: "She signed up yesterday.",
  confidence: 0.82,
  timing: [{ label: "Goes out", text: "Tue 1 Dec 10:30 (in 30 minutes)" }],
  expiresAt: "2026-12-01T11:00:00.000Z",
  expiresIn: "Tue 1 Dec 11:00 (in 60 minutes)",
  expired: false,
  requestedBy: "triage-agent 2.1",
  statedReason: null,
  flagged: false,
  checks: null,
  actionHash: "a".repeat(64),
};

const flaggedRollback: RequestView = {
  ...plain,
  approvalId: "apr_flaggedRollback01",
  action: "rollback",
  title: "Roll back this in-app message",
  channel: "in_app",
  status: "sent",
  version: 4,
  verdict: { tone: "danger", headline: "FLAGGED: read why before you decide.", reasons: ["It promises 30% off, which the playbook does not offer.", "A <b>second</b> reason & more"] },
  recipient: { userId: "user_2", name: "Maya \"M\" Lin", address: "maya@example.com" },
  subject: "Your 30% off",
  body: "<script>alert('x')</script>\u202Eevil",
  checks: [
    { name: "offer_allowed", passed: false, severity: "error", detail: "30% off is not in the catalog" },
    { name: "tone", passed: false, severity: "warn", detail: "a little pushy" },
    { name: "footer", passed: true, severity: "error", detail: "present" },
  ],
  timing: [
    { label: "Sent", text: "Mon 30 Nov 09:00 (25 hours ago)" },
    { label: "Delivered", text: "not confirmed" },
  ],
  statedReason: "sent to the wrong segment",
  flagged: true,
};

const form = (view: RequestView, more: Partial<ApprovalFormView> = {}): ApprovalFormView => ({ view, passphraseRequired: false, token: "tok_Abc-123", csrf: "csrf_Xyz-789", ...more });

describe("the approval form page", () => {
  it("renders a plain approval with nothing to prove", async () => {
    await expect(approvalFormPage(form(plain), NONCE)).toMatchFileSnapshot("__snapshots__/page-html/plain-approve.html");
  });

  it("renders an approval that needs the operator passphrase", async () => {
    await expect(approvalFormPage(form({ ...plain, verdict: { tone: "warn", headline: "One warning.", reasons: ["tone: a little pushy"] } }, { passphraseRequired: true }), NONCE)).toMatchFileSnapshot("__snapshots__/page-html/passphrase-approve.html");
  });

  it("renders a flagged rollback for a team, after a refused answer, with the login offered", async () => {
    const page = approvalFormPage(
      form(flaggedRollback, {
        passphraseRequired: true,
        team: { eligible: ["alice", "bob"], tier: "needs 2 of: alice, bob, carol; 1 given (carol)" },
        login: { url: "/approvals/apr_flaggedRollback01/login?token=tok", issuerName: "Acme SSO", operator: null },
        error: "Wrong passphrase for alice: 4 attempts left before this request is voided.",
        typedNote: "checked with <Maya>",
        acknowledged: true,
      }),
      NONCE,
    );
    await expect(page).toMatchFileSnapshot("__snapshots__/page-html/team-flagged-rollback.html");
  });

  it("renders a team approval for an operator who is signed in: no operator choice, no passphrase", async () => {
    const page = approvalFormPage(
      form(flaggedRollback, {
        team: { eligible: ["alice"], tier: "needs 2 of: alice, bob" },
        login: { url: "/approvals/x/login?token=tok", issuerName: "Acme SSO", operator: "alice" },
      }),
      NONCE,
    );
    await expect(page).toMatchFileSnapshot("__snapshots__/page-html/team-signed-in.html");
  });

  it("offers no login without a team, even where one is configured", () => {
    const page = approvalFormPage(form(plain, { login: { url: "/login", issuerName: "Acme SSO", operator: null } }), NONCE);
    expect(page).not.toContain("Acme SSO");
    expect(page).not.toContain('name="operator"');
  });
});

describe("the page's other parts", () => {
  it("renders an outcome or a refusal page, escaped, with its role", async () => {
    await expect(messagePage("Released", "Released: int_1 is approved (by human:page) & goes out <soon>.")).toMatchFileSnapshot("__snapshots__/page-html/message-status.html");
    expect(messagePage("Refused", "Cross-site request refused.", "alert")).toContain('<h1>Refused</h1><p role="alert">Cross-site request refused.</p>');
    expect(messagePage("Refused", "x")).toContain("<title>Refused · Retivo approval</title>");
  });

  it("allows only the nonce's script, inline styles and posts to itself", () => {
    expect(pageSecurityPolicy(NONCE)).toBe(`default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${NONCE}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    expect(pageSecurityPolicy(undefined)).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  });

  it("draws a fresh 128-bit nonce each time", () => {
    const nonces = new Set(Array.from({ length: 50 }, () => newNonce()));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("escapes the five HTML specials and shows invisible characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(escapeHtml("a\u202Eb")).toBe("a\\u202eb");
  });
});
