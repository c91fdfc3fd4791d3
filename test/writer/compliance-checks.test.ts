/**
 * The compliance and brand-limit checks on their own: the email footer the law
 * asks for, the subject the body must bear out, the AI disclosure line, emoji,
 * link hosts and markup. Each is shown catching what it must and letting
 * ordinary copy through.
 */
import { describe, expect, it } from "vitest";
import { CHECK, flagFromChecks, runQualityChecks, type DraftText } from "../../src/writer/quality.js";
import type { WriterInput } from "../../src/writer/types.js";
import { EMAIL_FOOTER, fixtureInput, POLICY } from "./fixtures.js";

const email = fixtureInput({ area: "retention", channel: "email" });
const inApp = fixtureInput({ area: "retention", channel: "in_app" });

const base: DraftText = {
  subject: "A tip for you, Maya",
  message_body: `Hi Maya,\n\nShared views keep your team on one page.\n\nBest,\nThe team${EMAIL_FOOTER}`,
  reasoning: "Engagement 0.64 is middling.",
  offer_ids: [],
};

function checkOf(draft: Partial<DraftText>, name: string, on: WriterInput = email) {
  const found = runQualityChecks({ ...base, ...draft }, on).checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} check`);
  return found;
}

const namesOf = (on: WriterInput, draft: Partial<DraftText> = {}) => runQualityChecks({ ...base, ...draft }, on).checks.map((c) => c.name);

describe("email rules", () => {
  it("apply to email only: in-app and webhook get none of them, but the same offer and pii rules", () => {
    expect(namesOf(email)).toEqual(expect.arrayContaining([CHECK.unsubscribe, CHECK.postalAddress, CHECK.subjectMatchesBody]));
    for (const channel of ["in_app", "webhook"] as const) {
      const names = namesOf(fixtureInput({ channel }), { subject: null, message_body: "Hi Maya, shared views are here." });
      expect(names).not.toContain(CHECK.unsubscribe);
      expect(names).not.toContain(CHECK.postalAddress);
      expect(names).not.toContain(CHECK.subjectMatchesBody);
      expect(names).toEqual(expect.arrayContaining([CHECK.offers, CHECK.pii, CHECK.links, CHECK.emoji]));
    }
  });

  it("unsubscribe: the tenant's opt-out must be in the body", () => {
    expect(checkOf({}, CHECK.unsubscribe)).toMatchObject({ passed: true, severity: "error" });
    const missing = checkOf({ message_body: "Hi Maya,\n\nShared views.\n\nAcme Boards Ltd, 12 Example Lane, Springfield" }, CHECK.unsubscribe);
    expect(missing).toMatchObject({ passed: false, severity: "error" });
    expect(missing.detail).toContain(POLICY!.unsubscribe!);
    const unset = checkOf({}, CHECK.unsubscribe, fixtureInput({ area: "retention", channel: "email", policy: { unsubscribe: null } }));
    expect(unset.passed).toBe(false);
    expect(unset.detail).toMatch(/tenant settings have no unsubscribe token or link/);
  });

  it("unsubscribe: an ESP merge token is the tenant's own, not an unresolved placeholder; other placeholders still are", () => {
    const on = fixtureInput({ area: "retention", channel: "email", policy: { unsubscribe: "{{unsubscribe_url}}" } });
    const body = "Hi Maya,\n\nShared views.\n\n--\nAcme Boards Ltd, 12 Example Lane, Springfield\nUnsubscribe: {{unsubscribe_url}}";
    expect(checkOf({ message_body: body }, CHECK.unsubscribe, on).passed).toBe(true);
    expect(checkOf({ message_body: body }, CHECK.placeholders, on).passed).toBe(true);
    expect(checkOf({ message_body: `${body} {{first_name}}` }, CHECK.placeholders, on).detail).toBe("unresolved placeholder {{first_name}}");
  });

  it("postal_address: the sender's address from the settings, however it wraps", () => {
    expect(checkOf({}, CHECK.postalAddress).passed).toBe(true);
    const wrapped = "Hi Maya,\n\nShared views.\n\nAcme Boards Ltd,\n12 Example   Lane, Springfield\nUnsubscribe: https://acme.example/unsubscribe";
    expect(checkOf({ message_body: wrapped }, CHECK.postalAddress).passed).toBe(true);
    const missing = checkOf({ message_body: "Hi Maya.\nUnsubscribe: https://acme.example/unsubscribe" }, CHECK.postalAddress);
    expect(missing).toMatchObject({ passed: false, detail: "the email does not show the sender's postal address from the tenant settings" });
    const unset = checkOf({}, CHECK.postalAddress, fixtureInput({ area: "retention", channel: "email", policy: { postal_address: null } }));
    expect(unset.detail).toMatch(/tenant settings have no postal address/);
    expect(flagFromChecks(runQualityChecks({ ...base, message_body: "Hi Maya.\nUnsubscribe: https://acme.example/unsubscribe" }, email)).flag_reason).toMatch(
      /^postal_address: /,
    );
  });

  it("a postal address with digit runs is the tenant's, not a leaked phone number", () => {
    const address = "Acme Boards, PO Box 97477-1234, Springfield";
    const on = fixtureInput({ area: "retention", channel: "email", policy: { postal_address: address } });
    const body = `Hi Maya,\n\nShared views.\n\n--\n${address}\nUnsubscribe: https://acme.example/unsubscribe`;
    expect(runQualityChecks({ ...base, message_body: body }, on).passed).toBe(true);
    // The same digits written anywhere else still read as a phone number.
    expect(checkOf({ message_body: `${body}\nCall 97477-1234` }, CHECK.pii, on).passed).toBe(false);
  });

  it("without the tenant's settings (an API-mode preview) the email rules warn that they were not verified", () => {
    const on = fixtureInput({ area: "retention", channel: "email", policy: null });
    const result = runQualityChecks({ ...base, message_body: "Hi Maya, shared views." }, on);
    for (const name of [CHECK.unsubscribe, CHECK.postalAddress]) {
      expect(result.checks.find((c) => c.name === name)).toMatchObject({ passed: false, severity: "warn", detail: expect.stringMatching(/^not verified/) });
    }
    expect(result.passed).toBe(true);
  });

  it("subject_matches_body warns when the subject promises what the body does not carry", () => {
    expect(checkOf({}, CHECK.subjectMatchesBody)).toMatchObject({ passed: true, severity: "warn" });
    const promise = checkOf({ subject: "50% off inside, Maya" }, CHECK.subjectMatchesBody);
    expect(promise).toMatchObject({ passed: false, severity: "warn" });
    expect(promise.detail).toMatch(/promises '50'/);
    expect(checkOf({ subject: "A discount for you" }, CHECK.subjectMatchesBody).detail).toMatch(/mentions 'discount'/);
    expect(checkOf({ subject: "3 tips for Maya" }, CHECK.subjectMatchesBody).detail).toMatch(/cites 3/);
    const kept = `Hi Maya,\n\nHere are 3 tips: shared views, saved filters, the digest.${EMAIL_FOOTER}`;
    expect(checkOf({ subject: "3 tips for Maya", message_body: kept }, CHECK.subjectMatchesBody).passed).toBe(true);
    expect(flagFromChecks(runQualityChecks({ ...base, subject: "Your 2 free months" }, email)).flagged).toBe(true);
    expect(runQualityChecks({ ...base, subject: "3 tips for Maya" }, email).passed).toBe(true);
  });
});

describe("ai_disclosure", () => {
  const on = fixtureInput({ area: "retention", channel: "in_app", policy: { ai_disclosure: "Written with help from AI." } });
  const draft = { subject: null, message_body: "Hi Maya, shared views are here." };

  it("is checked only when the tenant set a disclosure line", () => {
    expect(namesOf(inApp, draft)).not.toContain(CHECK.aiDisclosure);
    expect(namesOf(on, draft)).toContain(CHECK.aiDisclosure);
  });

  it("requires the line on model-written text, and not on templates", () => {
    expect(checkOf({ ...draft, generated: true }, CHECK.aiDisclosure, on)).toMatchObject({
      passed: false,
      detail: "model-written text lacks the tenant's AI disclosure line",
    });
    expect(checkOf({ ...draft, generated: true, message_body: `${draft.message_body}\n\nWritten with help from AI.` }, CHECK.aiDisclosure, on).passed).toBe(true);
    expect(checkOf({ ...draft, generated: false }, CHECK.aiDisclosure, on).passed).toBe(true);
  });
});

describe("brand limits", () => {
  const draft = (message_body: string) => ({ subject: null, message_body });

  it("emoji: counts what a reader sees as one emoji, against the brand's maximum", () => {
    expect(checkOf(draft("Nice work 👍🏽"), CHECK.emoji, inApp)).toMatchObject({ passed: true, detail: "1 emoji, within the brand's 1" });
    expect(checkOf(draft("Nice 👨‍👩‍👧 work 🇺🇸"), CHECK.emoji, inApp)).toMatchObject({ passed: false, severity: "error" });
    expect(checkOf(draft("Lumen™ and Acme® © 2026 → Settings"), CHECK.emoji, inApp).passed).toBe(true);
    const none = fixtureInput({ channel: "in_app", policy: { max_emoji: 0 } });
    expect(checkOf(draft("Hi Maya ✨"), CHECK.emoji, none).detail).toBe("1 emoji (✨); the brand allows 0");
    const unlimited = fixtureInput({ channel: "in_app", policy: { max_emoji: null } });
    expect(checkOf(draft("🎉🎉🎉🎉"), CHECK.emoji, unlimited)).toMatchObject({ passed: true, detail: "no emoji limit" });
  });

  it("links: only to the listed hosts and their subdomains", () => {
    for (const ok of ["See https://acme.example/help", "Docs at https://docs.acme.example/start.", "www.acme.example", "acme.example/setup"]) {
      expect(checkOf(draft(ok), CHECK.links, inApp).passed, ok).toBe(true);
    }
    for (const bad of [
      "Claim it at https://evil.example/claim",
      "Go to www.free-stuff.com now",
      "Visit evil.example/claim",
      "bit.ly/acme-deal",
      "https://acme.example@evil.example/login",
      "https://acme.example.evil.example/x",
      "javascript:alert(1)",
      "http://192.168.0.1/admin",
    ]) {
      expect(checkOf(draft(bad), CHECK.links, inApp), bad).toMatchObject({ passed: false, severity: "error" });
    }
    expect(checkOf(draft("Claim it at https://evil.example/claim"), CHECK.links, inApp).detail).toMatch(/links to evil\.example .*listed hosts \(acme\.example/);
  });

  it("links: an email address is the pii check's, and ordinary prose is no link", () => {
    expect(checkOf(draft("Write to jane@othercorp.example"), CHECK.links, inApp).passed).toBe(true);
    expect(checkOf(draft("Write to jane@othercorp.example"), CHECK.pii, inApp).passed).toBe(false);
    for (const prose of ["Settings → Digest. Then e.g. share it.", "Node.js and ASP-style apps", "v2.1 is out", "It costs 3.50 per seat"]) {
      expect(checkOf(draft(prose), CHECK.links, inApp).passed, prose).toBe(true);
    }
  });

  it("links: with no hosts listed, no link at all; a URL opt-out's own host is always allowed", () => {
    const noHosts = fixtureInput({ area: "retention", channel: "email", policy: { link_hosts: [] } });
    expect(checkOf({}, CHECK.links, noHosts).passed).toBe(true);
    expect(checkOf({ message_body: `${base.message_body}\nhttps://blog.example/post` }, CHECK.links, noHosts).detail).toMatch(/not one of the listed hosts \(acme\.example\)/);
    const nothing = fixtureInput({ area: "retention", channel: "in_app", policy: { link_hosts: [], unsubscribe: "{{unsubscribe_url}}" } });
    expect(checkOf({ subject: null, message_body: "See https://acme.example/blog" }, CHECK.links, nothing).detail).toMatch(/lists no link hosts/);
    const elsewhere = fixtureInput({ area: "retention", channel: "email", policy: { link_hosts: [], unsubscribe: "https://esp.example/u/1" } });
    expect(checkOf({ message_body: "Hi.\n\nAcme Boards Ltd, 12 Example Lane, Springfield\nUnsubscribe: https://esp.example/u/1" }, CHECK.links, elsewhere).passed).toBe(true);
  });

  it("markup: bodies are plain text on every channel", () => {
    for (const bad of ["<b>Maya</b>, welcome", "<script>alert(1)</script>", '<img src="x" onerror="y">', "[click here](https://acme.example)", "![](https://acme.example/p.gif)", "<!-- hidden -->"]) {
      expect(checkOf(draft(bad), CHECK.markup, inApp), bad).toMatchObject({ passed: false, severity: "error" });
    }
    for (const ok of ["Settings → Digest", "a < b and c > d", "I <3 this", "Tip: [optional] filters"]) {
      expect(checkOf(draft(ok), CHECK.markup, inApp).passed, ok).toBe(true);
    }
  });
});

describe("grounding", () => {
  it("does not let a number the person typed into their name ground the reasoning", () => {
    const on = fixtureInput({ channel: "in_app", firstName: "Maya90" });
    expect(checkOf({ subject: null, message_body: "Hi there.", reasoning: "Offer 90 to this one." }, CHECK.groundedReasoning, on).passed).toBe(false);
  });
});
