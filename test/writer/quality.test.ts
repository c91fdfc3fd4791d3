/**
 * Each deterministic check on its own: what it catches, what it lets through,
 * and how failures become the flag.
 */
import { describe, expect, it } from "vitest";
import { CHECK, CHANNEL_LIMITS, flagFromChecks, isGrounded, runQualityChecks, type DraftText } from "../../src/writer/quality.js";
import { luhnValid } from "../../src/writer/text-scan.js";
import { EMAIL_FOOTER, fixtureInput } from "./fixtures.js";

const input = fixtureInput({ area: "upsell", channel: "email" });

const clean: DraftText = {
  subject: "Room to grow, Maya",
  message_body: `Hi Maya,\n\nYou are close to your plan's capacity. Shared views come with every plan.\n\nBest,\nThe team${EMAIL_FOOTER}`,
  reasoning: "Expansion 0.77 and engagement 64% point to an upgrade.",
  offer_ids: [],
};

function checkOf(draft: Partial<DraftText>, name: string, on = input) {
  const result = runQualityChecks({ ...clean, ...draft }, on);
  const found = result.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} check`);
  return found;
}

describe("quality checks", () => {
  it("passes a clean message on every check, in a fixed order", () => {
    const result = runQualityChecks(clean, input);
    expect(result.passed).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual([
      CHECK.length,
      CHECK.placeholders,
      CHECK.pii,
      CHECK.avoidTerms,
      CHECK.offers,
      CHECK.groundedReasoning,
      CHECK.requiredMentions,
      CHECK.unsubscribe,
      CHECK.postalAddress,
      CHECK.subjectMatchesBody,
      CHECK.emoji,
      CHECK.links,
      CHECK.markup,
      CHECK.hiddenCharacters,
    ]);
    expect(result.checks.every((c) => c.passed)).toBe(true);
    expect(flagFromChecks(result)).toEqual({ flagged: false, flag_reason: null });
  });

  describe("hidden_characters", () => {
    it("flags text a screen draws as nothing or reorders, and lets emoji through", () => {
      const hidden = runQualityChecks({ ...clean, message_body: `${clean.message_body} \u{E0041}\u{E0073}\u200b\u202e` }, input);
      const verdict = hidden.checks.find((c) => c.name === CHECK.hiddenCharacters)!;
      expect(verdict).toMatchObject({ passed: false, severity: "error" });
      expect(verdict.detail).toContain("\\u{e0041}");
      expect(flagFromChecks(hidden).flagged).toBe(true);
      const emoji = runQualityChecks({ ...clean, subject: "Thanks ❤️ 👩‍💻" }, input);
      expect(emoji.checks.find((c) => c.name === CHECK.hiddenCharacters)!.passed).toBe(true);
    });
  });

  describe("length", () => {
    it("holds each channel to its limit", () => {
      for (const channel of ["email", "in_app", "webhook"] as const) {
        const on = fixtureInput({ channel });
        const limit = CHANNEL_LIMITS[channel];
        expect(checkOf({ message_body: "a".repeat(limit) }, CHECK.length, on).passed).toBe(true);
        expect(checkOf({ message_body: "a".repeat(limit + 1) }, CHECK.length, on)).toMatchObject({
          passed: false,
          severity: "error",
          detail: `message_body is ${limit + 1} characters; the ${channel} limit is ${limit}`,
        });
      }
      expect(CHANNEL_LIMITS.in_app).toBeLessThanOrEqual(280);
    });

    it("refuses an empty body, an email without a subject and empty reasoning", () => {
      expect(checkOf({ message_body: "  \n " }, CHECK.length).detail).toMatch(/message_body is empty/);
      expect(checkOf({ subject: null }, CHECK.length).detail).toMatch(/an email needs a subject/);
      expect(checkOf({ subject: null }, CHECK.length, fixtureInput({ channel: "in_app" })).passed).toBe(true);
      expect(checkOf({ reasoning: "" }, CHECK.length).detail).toMatch(/reasoning is empty/);
    });
  });

  describe("avoid_terms", () => {
    it("catches brand terms as whole words, any case, phrases across whitespace", () => {
      expect(checkOf({ message_body: "Results GUARANTEED, Maya." }, CHECK.avoidTerms)).toMatchObject({
        passed: false,
        detail: "mentions 'guaranteed' (brand: things_to_avoid)",
      });
      expect(checkOf({ message_body: "Please act\n now, Maya." }, CHECK.avoidTerms).detail).toMatch(/'act now'/);
      expect(checkOf({ subject: "Cheap upgrade" }, CHECK.avoidTerms).passed).toBe(false);
    });

    it("is an error that flags the intervention with the term it found", () => {
      const result = runQualityChecks({ ...clean, message_body: `Hi Maya, results guaranteed.${EMAIL_FOOTER}` }, input);
      expect(result.checks.find((c) => c.name === CHECK.avoidTerms)).toMatchObject({ passed: false, severity: "error" });
      expect(result.passed).toBe(false);
      expect(flagFromChecks(result)).toEqual({ flagged: true, flag_reason: "avoid_terms: mentions 'guaranteed' (brand: things_to_avoid)" });
      expect(checkOf({}, CHECK.avoidTerms)).toMatchObject({ passed: true, severity: "error", detail: "no term the brand avoids" });
    });

    it("does not match inside other words", () => {
      expect(checkOf({ message_body: "Hi Maya, cheapest is not our style; unguaranteed either." }, CHECK.avoidTerms).passed).toBe(true);
    });
  });

  describe("required_mentions", () => {
    it("only warns when none of the brand's points is mentioned", () => {
      const missing = checkOf({ message_body: "Hi Maya, nice to see you." }, CHECK.requiredMentions);
      expect(missing).toMatchObject({ passed: false, severity: "warn" });
      expect(missing.detail).toMatch(/'shared views', 'the setup checklist'/);
      const result = runQualityChecks({ ...clean, message_body: `Hi Maya, nice to see you.${EMAIL_FOOTER}` }, input);
      expect(result.passed).toBe(true);
      expect(flagFromChecks(result).flagged).toBe(false);
    });
  });

  describe("placeholders", () => {
    it.each(["{{first_name}}", "{{ company }}", "[First Name]", "[insert link]", "%NAME%", "%first_name%", "${name}", "{first_name}", "<first_name>"])(
      "catches %s",
      (token) => {
        const found = checkOf({ message_body: `Hi ${token}, welcome back.` }, CHECK.placeholders);
        expect(found).toMatchObject({ passed: false, severity: "error" });
        expect(found.detail).toContain(token.trim());
      },
    );

    it("leaves markdown links, percentages and plain brackets alone", () => {
      const body = "Hi Maya, [open the dashboard](https://app.example/dash) (takes 2 minutes), 100% yours.";
      expect(checkOf({ message_body: body }, CHECK.placeholders).passed).toBe(true);
    });
  });

  describe("pii", () => {
    it.each([
      ["an email address", "write to jane.doe@othercorp.example"],
      ["a phone number", "call +1 (415) 555-0134 today"],
      ["a card number", "your card 4242 4242 4242 4242 is on file"],
      ["an API key or token", "use sk-proj-abcdefghijklmnop1234 to connect"],
      ["an API key or token", "your key rt_live_9f8e7d6c5b4a"],
      ["an API key or token", "header Bearer abcdefghijklmnopqrstuvwxyz012345"],
      ["an API key or token", "token ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"],
      ["an API key or token", "token github_pat_11ABCDEFG0123456789_abcdefghij"],
      ["an API key or token", "bot xoxb-123456789012-abcdefABCDEF"],
      ["an API key or token", "access key AKIAIOSFODNN7EXAMPLE for S3"],
      ["an API key or token", "session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYXlhIn0.c2lnbmF0dXJl"],
    ])("catches %s", (kind, text) => {
      const found = checkOf({ message_body: `Hi Maya, ${text}.` }, CHECK.pii);
      expect(found).toMatchObject({ passed: false, severity: "error" });
      expect(found.detail).toContain(kind);
    });

    it.each([
      ["ghp_ with too short a tail", "ghp_abc123"],
      ["an AKIA id one character short", "AKIAIOSFODNN7EXAMPL"],
      ["a Slack-looking word", "the xoxb- prefix alone"],
      ["a JWT without its payload", "eyJhbGciOiJIUzI1NiJ9 alone"],
    ])("lets %s through", (_what, text) => {
      expect(checkOf({ message_body: `Hi Maya, ${text}.` }, CHECK.pii).passed).toBe(true);
    });

    it("tells a card number from a long id by the Luhn checksum", () => {
      const card = checkOf({ message_body: "Hi Maya, card 4111-1111-1111-1111 is on file." }, CHECK.pii);
      expect(card).toMatchObject({ passed: false, detail: "contains a card number (411***11)" });
      // One digit off: 16 digits, no valid checksum, too long for a phone number: neither.
      expect(checkOf({ message_body: "Hi Maya, order 4111-1111-1111-1112 shipped." }, CHECK.pii).passed).toBe(true);
      // A 13-digit number that fails the checksum reads as a phone number instead.
      expect(checkOf({ message_body: "Hi Maya, call 4222 2222 2222 3." }, CHECK.pii).detail).toContain("a phone number");
      for (const valid of ["79927398713", "4111111111111111", "5500005555555559", "378282246310005", "0"]) expect(luhnValid(valid), valid).toBe(true);
      for (const invalid of ["79927398710", "79927398711", "4111111111111112", "5500005555555550", "1"]) expect(luhnValid(invalid), invalid).toBe(false);
    });

    it("masks what it found instead of repeating it", () => {
      expect(checkOf({ message_body: "Hi Maya, jane.doe@othercorp.example" }, CHECK.pii).detail).not.toContain("jane.doe@othercorp");
    });

    it("lets dates, short numbers and non-Luhn long ids through as what they are", () => {
      expect(checkOf({ message_body: "Hi Maya, since 2025-03-14 you saved 3 hours on 12 boards." }, CHECK.pii).passed).toBe(true);
      expect(luhnValid("4242424242424242")).toBe(true);
      expect(luhnValid("4242424242424241")).toBe(false);
    });
  });

  describe("offers", () => {
    const winBack = fixtureInput({ area: "win_back", channel: "email" });

    it("accepts an allowed offer by its exact text, or its terms paraphrased", () => {
      expect(checkOf({ message_body: "Hi Maya, get 20% off the first year of an annual plan.", offer_ids: ["offer_annual_20"] }, CHECK.offers).passed).toBe(true);
      expect(checkOf({ message_body: "Hi Maya, take 20 percent off a year of annual billing." }, CHECK.offers).passed).toBe(true);
      expect(checkOf({ message_body: "Use code COMEBACK15 for 15% off three months." }, CHECK.offers, winBack).passed).toBe(true);
    });

    it.each([
      ["a percentage", "Hi Maya, get 50% off today.", /'50' matches no allowed offer/],
      ["a price", "Hi Maya, upgrade for just $9.99.", /'9.99' matches no allowed offer/],
      ["a promo code", "Hi Maya, use code SAVE30 at checkout.", /'SAVE30' matches no allowed offer/],
      ["a free period", "Hi Maya, enjoy 2 months free.", /'2 month' matches no allowed offer/],
    ])("refuses %s that no offer allows", (_kind, body, detail) => {
      expect(checkOf({ message_body: body }, CHECK.offers)).toMatchObject({ passed: false, severity: "error", detail: expect.stringMatching(detail) });
    });

    it("refuses offer ids that are not allowed", () => {
      expect(checkOf({ offer_ids: ["offer_made_up"] }, CHECK.offers).detail).toMatch(/'offer_made_up', which is not an allowed offer/);
    });

    it("refuses any discount wording when the playbook allows no offers", () => {
      const noOffers = fixtureInput({ area: "retention", offers: [] });
      expect(checkOf({ message_body: "Hi Maya, here is a discount for you." }, CHECK.offers, noOffers).detail).toMatch(/'discount' but the playbook allows no offers/);
      expect(checkOf({ message_body: "Hi Maya, thanks for being with us." }, CHECK.offers, noOffers).passed).toBe(true);
    });
  });

  describe("grounded_reasoning", () => {
    it("accepts the inputs' numbers in any usual format", () => {
      const reasoning = "Activation 0.82 (82%), engagement 0.6, expansion 77%, health 71, last active 3 days ago.";
      expect(checkOf({ reasoning }, CHECK.groundedReasoning).passed).toBe(true);
    });

    it("refuses numbers the inputs do not hold", () => {
      const found = checkOf({ reasoning: "Engagement fell 35% over 14 days; expansion 0.77." }, CHECK.groundedReasoning);
      expect(found).toMatchObject({ passed: false, severity: "error" });
      expect(found.detail).toBe("reasoning cites 35, which is not in the inputs; reasoning cites 14, which is not in the inputs");
    });

    it("does not let a whole number pass for a fraction, or read digits inside ids", () => {
      expect(isGrounded({ value: 1, decimals: 0 }, [0.72])).toBe(false);
      expect(isGrounded({ value: 72, decimals: 0 }, [0.72])).toBe(true);
      expect(isGrounded({ value: 0.7, decimals: 1 }, [0.72])).toBe(true);
      expect(isGrounded({ value: 0.43, decimals: 2 }, [0.425])).toBe(true);
      expect(checkOf({ reasoning: "Playbook v2 for int_a1b2c3 matched; expansion 0.77." }, CHECK.groundedReasoning).passed).toBe(true);
    });
  });

  it("flags on the first failing error check, in check order", () => {
    const result = runQualityChecks({ ...clean, message_body: "Hi {{first_name}}, 50% off, guaranteed." }, input);
    expect(result.passed).toBe(false);
    expect(flagFromChecks(result)).toEqual({ flagged: true, flag_reason: "placeholders: unresolved placeholder {{first_name}}" });
  });
});
