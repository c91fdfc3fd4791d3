/**
 * The quality checks where tenant settings and brand rules are odd or
 * missing: a blank or punctuated avoided term, a postal address of only
 * whitespace or with stray spaces, the opt-out over plain http, several link
 * hosts, long links and many emoji or hidden characters shown cut, numbers
 * grounded to the precision written. Each is a way a check could silently
 * pass what it should flag, or flag what it should pass.
 */
import { describe, expect, it } from "vitest";
import { settingsGaps } from "../../src/writer/checks-compliance.js";
import { mentionsTerm } from "../../src/writer/checks-common.js";
import { CHECK, runQualityChecks, type DraftText } from "../../src/writer/quality.js";
import type { WriterInput } from "../../src/writer/types.js";
import { EMAIL_FOOTER, fixtureInput } from "./fixtures.js";

const input = fixtureInput({ area: "upsell", channel: "email" });

const clean: DraftText = {
  subject: "Room to grow, Maya",
  message_body: `Hi Maya,\n\nYou are close to your plan's capacity. Shared views come with every plan.\n\nBest,\nThe team${EMAIL_FOOTER}`,
  reasoning: "Expansion 0.77 and engagement 64% point to an upgrade.",
  offer_ids: [],
};

function verdictOf(draft: Partial<DraftText>, name: string, on: WriterInput = input) {
  const found = runQualityChecks({ ...clean, ...draft }, on).checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} check`);
  return found;
}

describe("brand terms", () => {
  it("matches a term with regex characters literally, and a blank term never", () => {
    expect(mentionsTerm("a.b and c++ tips", "a.b")).toBe(true);
    expect(mentionsTerm("axb", "a.b")).toBe(false);
    expect(mentionsTerm("c++ tips", "c++ tips")).toBe(true);
    expect(mentionsTerm("anything at all", "  ")).toBe(false);
    expect(mentionsTerm("anything at all", "")).toBe(false);
    const on = fixtureInput({ brand: { things_to_avoid: ["  ", "c++ tips", "a.b"] } });
    expect(verdictOf({}, CHECK.avoidTerms, on)).toMatchObject({ passed: true, detail: "no term the brand avoids" });
    expect(verdictOf({ message_body: `Hi, c++ tips and axb ${EMAIL_FOOTER}` }, CHECK.avoidTerms, on).detail).toBe("mentions 'c++ tips' (brand: things_to_avoid)");
  });
});

describe("the email rules, on odd tenant settings", () => {
  it("name the missing setting and where to set it", () => {
    expect(verdictOf({}, CHECK.unsubscribe, fixtureInput({ policy: { unsubscribe: null } })).detail).toBe(
      "the tenant settings have no unsubscribe token or link, so this email offers no way to opt out; set it in the tenant settings",
    );
    expect(verdictOf({}, CHECK.postalAddress, fixtureInput({ policy: { postal_address: null } })).detail).toBe(
      "the tenant settings have no postal address, which every email must show; set it in the tenant settings",
    );
  });

  it("do not take a postal address of only whitespace as shown, and ignore stray spaces around a real one", () => {
    expect(verdictOf({}, CHECK.postalAddress, fixtureInput({ policy: { postal_address: "  \n " } }))).toMatchObject({
      passed: false,
      detail: "the email does not show the sender's postal address from the tenant settings",
    });
    expect(verdictOf({}, CHECK.postalAddress, fixtureInput({ policy: { postal_address: " Acme Boards Ltd, 12 Example Lane, Springfield\n" } })).passed).toBe(true);
  });

  it("list which settings no wording can make up for, on email only", () => {
    const policy = input.policy!;
    expect(settingsGaps("email", { ...policy, unsubscribe: null, postal_address: null })).toEqual([CHECK.unsubscribe, CHECK.postalAddress]);
    expect(settingsGaps("email", { ...policy, postal_address: null })).toEqual([CHECK.postalAddress]);
    expect(settingsGaps("email", { ...policy, unsubscribe: null })).toEqual([CHECK.unsubscribe]);
    expect(settingsGaps("email", policy)).toEqual([]);
    expect(settingsGaps("in_app", { ...policy, unsubscribe: null, postal_address: null })).toEqual([]);
    expect(settingsGaps("email", null)).toEqual([]);
  });

  it("let a subject through whose promises and offer words the body carries", () => {
    expect(verdictOf({ subject: "20% off and a voucher", message_body: `Hi, 20% off and a voucher ${EMAIL_FOOTER}` }, CHECK.subjectMatchesBody)).toMatchObject({
      passed: true,
      detail: "the body bears out the subject",
    });
  });

  it("hold model-written text, and only it, to the tenant's disclosure line, as an error", () => {
    const on = fixtureInput({ policy: { ai_disclosure: "Written with AI." } });
    expect(verdictOf({ generated: true }, CHECK.aiDisclosure, on)).toEqual({
      name: CHECK.aiDisclosure, passed: false, severity: "error", detail: "model-written text lacks the tenant's AI disclosure line",
    });
    expect(verdictOf({ generated: true, message_body: `${clean.message_body}\nWritten with AI.` }, CHECK.aiDisclosure, on)).toEqual({
      name: CHECK.aiDisclosure, passed: true, severity: "error", detail: "carries the tenant's AI disclosure line",
    });
    expect(verdictOf({}, CHECK.aiDisclosure, on)).toEqual({
      name: CHECK.aiDisclosure, passed: true, severity: "error", detail: "written from templates, not by a model: no disclosure needed",
    });
  });
});

describe("brand limits", () => {
  it("without tenant settings, allow no link host at all", () => {
    expect(verdictOf({ message_body: "Hi https://x.example/a" }, CHECK.links, fixtureInput({ policy: null })).detail).toBe(
      "links to x.example ('https://x.example/a'), but the tenant lists no link hosts",
    );
  });

  it("allow every listed host and the opt-out's, named in order", () => {
    const on = fixtureInput({ policy: { link_hosts: ["help.example", "docs.example"] } });
    expect(verdictOf({ message_body: `Hi https://help.example/a ${EMAIL_FOOTER}` }, CHECK.links, on)).toMatchObject({
      passed: true,
      detail: "links only to help.example, docs.example, acme.example",
    });
    expect(verdictOf({ message_body: `Hi https://evil.example/a ${EMAIL_FOOTER}` }, CHECK.links, on).detail).toBe(
      "links to evil.example ('https://evil.example/a'), not one of the listed hosts (help.example, docs.example, acme.example)",
    );
  });

  it("allow the host of a plain-http opt-out link", () => {
    const on = fixtureInput({ policy: { link_hosts: [], unsubscribe: "http://opt.example/out" } });
    expect(verdictOf({ message_body: "Hi http://opt.example/out" }, CHECK.links, on)).toMatchObject({ passed: true, detail: "links only to opt.example" });
  });

  it("show a long link cut to 60 characters, at most five emoji and six hidden characters", () => {
    expect(verdictOf({ message_body: `Hi https://evil.example/${"p".repeat(80)} ${EMAIL_FOOTER}` }, CHECK.links).detail).toBe(
      `links to evil.example ('https://evil.example/${"p".repeat(39)}'), not one of the listed hosts (acme.example)`,
    );
    expect(verdictOf({ message_body: `Hi 😀😁😂🤣😃😄😅 ${EMAIL_FOOTER}` }, CHECK.emoji).detail).toBe("7 emoji (😀 😁 😂 🤣 😃); the brand allows 1");
    expect(verdictOf({ message_body: `Hi \u200b\u200c\u2060\u202e\u2066\u2067\u2068 ${EMAIL_FOOTER}` }, CHECK.hiddenCharacters).detail).toBe(
      "contains characters that show as nothing or reorder text (\\u200b \\u200c \\u2060 \\u202e \\u2066 \\u2067)",
    );
  });

  it("count ©, ® and ™ as text, not emoji", () => {
    expect(verdictOf({ message_body: `Hi © 2026 Acme™ ® ${EMAIL_FOOTER}` }, CHECK.emoji).detail).toBe("0 emoji, within the brand's 1");
  });
});

describe("content checks", () => {
  it("do not cut the word 'null' out of a message when the tenant set no disclosure line", () => {
    expect(verdictOf({ message_body: `Hi, write to null@othercorp.example ${EMAIL_FOOTER}` }, CHECK.pii).detail).toBe("contains an email address (nul***le)");
  });

  it("let offer words through when the playbook has offers", () => {
    expect(verdictOf({ message_body: `Hi, a discount: 20% off the first year of an annual plan ${EMAIL_FOOTER}`, offer_ids: ["offer_annual_20"] }, CHECK.offers)).toMatchObject({
      passed: true,
      detail: "only allowed offers",
    });
  });

  it("ground a number only to the precision it is written with", () => {
    expect(verdictOf({ reasoning: "Engagement 0.99." }, CHECK.groundedReasoning).detail).toBe("reasoning cites 0.99, which is not in the inputs");
    expect(verdictOf({ reasoning: "Engagement 0.6." }, CHECK.groundedReasoning).passed).toBe(true);
    expect(verdictOf({ reasoning: "Engagement 0.7." }, CHECK.groundedReasoning).passed).toBe(false);
    // A whole number may cite a fraction of one or more, rounded (health 71.4 as 71).
    expect(verdictOf({ reasoning: "Health 71." }, CHECK.groundedReasoning, fixtureInput({ scores: { health: 71.4 } })).passed).toBe(true);
  });
});
