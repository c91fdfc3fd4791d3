/**
 * The verdicts an operator reads: each check's detail is what becomes the
 * flag reason on the approval screen, so its exact words, the bounds it holds
 * to and what it names are asserted here, not only pass or fail.
 */
import { describe, expect, it } from "vitest";
import { CHECK, REASONING_MAX, runQualityChecks, SUBJECT_MAX, type DraftText } from "../../src/writer/quality.js";
import type { WriterInput } from "../../src/writer/types.js";
import { EMAIL_FOOTER, fixtureInput } from "./fixtures.js";

const input = fixtureInput({ area: "upsell", channel: "email" });

const clean: DraftText = {
  subject: "Room to grow, Maya",
  message_body: `Hi Maya,\n\nYou are close to your plan's capacity. Shared views come with every plan.\n\nBest,\nThe team${EMAIL_FOOTER}`,
  reasoning: "Expansion 0.77 and engagement 64% point to an upgrade.",
  offer_ids: [],
};

function detailOf(draft: Partial<DraftText>, name: string, on: WriterInput = input): string {
  const found = runQualityChecks({ ...clean, ...draft }, on).checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} check`);
  return found.detail;
}

function verdictOf(draft: Partial<DraftText>, name: string, on: WriterInput = input) {
  return runQualityChecks({ ...clean, ...draft }, on).checks.find((c) => c.name === name);
}

describe("what each check says of a clean email", () => {
  it("names the limit, the opt-out and the hosts it held the message to", () => {
    expect(runQualityChecks(clean, input).checks).toEqual([
      { name: "length", passed: true, severity: "error", detail: "within the email limit of 2000 characters" },
      { name: "placeholders", passed: true, severity: "error", detail: "no unresolved placeholders" },
      { name: "pii", passed: true, severity: "error", detail: "no personal data or secrets" },
      { name: "avoid_terms", passed: true, severity: "error", detail: "no term the brand avoids" },
      { name: "offers", passed: true, severity: "error", detail: "only allowed offers" },
      { name: "grounded_reasoning", passed: true, severity: "error", detail: "every number in the reasoning comes from the inputs" },
      { name: "required_mentions", passed: true, severity: "warn", detail: "mentions 'shared views'" },
      { name: "unsubscribe", passed: true, severity: "error", detail: "carries the tenant's opt-out (https://acme.example/unsubscribe)" },
      { name: "postal_address", passed: true, severity: "error", detail: "shows the sender's postal address" },
      { name: "subject_matches_body", passed: true, severity: "warn", detail: "the body bears out the subject" },
      { name: "emoji", passed: true, severity: "error", detail: "0 emoji, within the brand's 1" },
      { name: "links", passed: true, severity: "error", detail: "links only to acme.example" },
      { name: "markup", passed: true, severity: "error", detail: "plain text" },
      { name: "hidden_characters", passed: true, severity: "error", detail: "no hidden characters" },
    ]);
  });

  it("says when there is nothing to hold it to: no offers, no emoji limit, no link hosts, no points to mention", () => {
    const bare = fixtureInput({
      area: "retention",
      channel: "in_app",
      offers: [],
      brand: { things_to_mention: [] },
      policy: { max_emoji: null, link_hosts: [], unsubscribe: "{{unsubscribe_url}}" },
    });
    const result = runQualityChecks({ subject: null, message_body: "Hi Maya, nice to see you back.", reasoning: "Health 71.", offer_ids: [] }, bare);
    expect(result.passed).toBe(true);
    const details = Object.fromEntries(result.checks.map((c) => [c.name, c.detail]));
    expect(details).toMatchObject({
      [CHECK.length]: "within the in_app limit of 280 characters",
      [CHECK.offers]: "no offers, none allowed",
      [CHECK.requiredMentions]: "nothing required",
      [CHECK.emoji]: "no emoji limit",
      [CHECK.links]: "no links",
    });
  });
});

describe("length, at its bounds", () => {
  it(`lets a subject of ${SUBJECT_MAX} characters and reasoning of ${REASONING_MAX} through, not one more`, () => {
    expect(verdictOf({ subject: "s".repeat(SUBJECT_MAX), reasoning: "r".repeat(REASONING_MAX) }, CHECK.length)?.passed).toBe(true);
    expect(detailOf({ subject: "s".repeat(SUBJECT_MAX + 1) }, CHECK.length)).toBe(`subject is longer than ${SUBJECT_MAX} characters`);
    expect(detailOf({ reasoning: "r".repeat(REASONING_MAX + 1) }, CHECK.length)).toBe(`reasoning is longer than ${REASONING_MAX} characters`);
    // A subject is optional off email, but still bounded there.
    expect(detailOf({ subject: "s".repeat(SUBJECT_MAX + 1) }, CHECK.length, fixtureInput({ channel: "in_app" }))).toBe(`subject is longer than ${SUBJECT_MAX} characters`);
  });

  it("reads a subject or reasoning of only whitespace as missing, and lists every problem at once", () => {
    expect(detailOf({ subject: " \t " }, CHECK.length)).toBe("an email needs a subject");
    expect(detailOf({ reasoning: " \n " }, CHECK.length)).toBe("reasoning is empty");
    expect(detailOf({ subject: "", message_body: " ", reasoning: "" }, CHECK.length)).toBe("message_body is empty; an email needs a subject; reasoning is empty");
  });
});

describe("what a failing check names", () => {
  it("required_mentions lists every point the brand wants, quoted", () => {
    expect(detailOf({ message_body: `Hi Maya, nice to see you.${EMAIL_FOOTER}` }, CHECK.requiredMentions)).toBe("mentions none of: 'shared views', 'the setup checklist'");
  });

  it("pii names each kind it found, masked", () => {
    const body = `Hi, write to jane.doe@othercorp.example or call +1 (415) 555-0134, card 4242 4242 4242 4242, key sk-proj-abcdefghijklmnop1234 ${EMAIL_FOOTER}`;
    expect(detailOf({ message_body: body }, CHECK.pii)).toBe(
      "contains an email address (jan***le); contains an API key or token (sk-***34); contains a phone number (141***34); contains a card number (424***42)",
    );
  });

  it("offers names the unknown offer id and each term no offer covers", () => {
    const body = `Hi, use code SAVE30, 50% off, 2 months free ${EMAIL_FOOTER}`;
    expect(detailOf({ message_body: body, offer_ids: ["offer_x"] }, CHECK.offers)).toBe(
      "offer_ids names 'offer_x', which is not an allowed offer; '50' matches no allowed offer; 'SAVE30' matches no allowed offer; '2 month' matches no allowed offer",
    );
    const noOffers = fixtureInput({ area: "retention", offers: [] });
    expect(detailOf({ message_body: `Hi, a discount and a voucher ${EMAIL_FOOTER}` }, CHECK.offers, noOffers)).toBe(
      "mentions 'discount' but the playbook allows no offers; mentions 'voucher' but the playbook allows no offers",
    );
  });

  it("grounded_reasoning accepts 0 and 1 and numbers written inside the inputs' strings (an offer's 20%)", () => {
    expect(verdictOf({ reasoning: "1 point of 0 concerns; the 20% annual offer fits, health 71." }, CHECK.groundedReasoning)?.passed).toBe(true);
    expect(detailOf({ reasoning: "Health 55, not 71." }, CHECK.groundedReasoning)).toBe("reasoning cites 55, which is not in the inputs");
  });

  it("avoid_terms sees a term glued to the tenant's own footer text: the footer is cut out as a space, not as nothing", () => {
    const on = fixtureInput({ area: "retention", channel: "email", policy: { unsubscribe: "{{unsubscribe_url}}" } });
    const body = `Hi Maya.\n\n--\nAcme Boards Ltd, 12 Example Lane, Springfield\nUnsubscribe here{{unsubscribe_url}}cheap`;
    expect(detailOf({ message_body: body }, CHECK.avoidTerms, on)).toBe("mentions 'cheap' (brand: things_to_avoid)");
  });

  it("subject_matches_body names each promise, offer word and number the body does not carry", () => {
    expect(detailOf({ subject: "Save 30% and 2 weeks free with code ZAP99, a voucher, in 7 days", message_body: `Hi ${EMAIL_FOOTER}` }, CHECK.subjectMatchesBody)).toBe(
      "the subject promises '30', which the body does not carry; the subject promises 'ZAP99', which the body does not carry; " +
        "the subject promises '2 week', which the body does not carry; the subject mentions 'voucher', which the body does not; the subject cites 7, which the body does not",
    );
  });

  it("emoji counts against the brand's maximum and shows what it counted", () => {
    expect(detailOf({ message_body: `Hi 😀😀😀 ${EMAIL_FOOTER}` }, CHECK.emoji)).toBe("3 emoji (😀 😀 😀); the brand allows 1");
    expect(verdictOf({ message_body: `Hi 😀 ${EMAIL_FOOTER}` }, CHECK.emoji)).toMatchObject({ passed: true, detail: "1 emoji, within the brand's 1" });
  });

  it("links names the host and the hosts allowed, or that none are; a code-carrying scheme by its text", () => {
    expect(detailOf({ message_body: `Hi https://evil.example/x javascript:alert(1) ${EMAIL_FOOTER}` }, CHECK.links)).toBe(
      "links to evil.example ('https://evil.example/x'), not one of the listed hosts (acme.example); links to 'javascript:alert(1', a scheme no message may carry",
    );
    const noHosts = fixtureInput({ policy: { link_hosts: [], unsubscribe: "{{u}}" } });
    expect(detailOf({ message_body: "Hi https://evil.example/x and https://evil.example/x again" }, CHECK.links, noHosts)).toBe(
      "links to evil.example ('https://evil.example/x'), but the tenant lists no link hosts",
    );
  });

  it("markup names each tag and markdown link", () => {
    expect(detailOf({ message_body: `Hi <b>x</b> [a](http://acme.example) ${EMAIL_FOOTER}` }, CHECK.markup)).toBe(
      "contains markup '<b>'; contains markup '</b>'; contains markup '[a](http://acme.example)'",
    );
  });
});
