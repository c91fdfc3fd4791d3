/**
 * The detectors behind the quality checks, each on the forms it must catch
 * and the near misses it must leave alone: what a check can name is only as
 * good as what these find.
 */
import { describe, expect, it } from "vitest";
import { findCommercialTokens, findLinks, findNumbers, findOfferWords, findPersonalData, findPlaceholders, redactSecrets } from "../../src/writer/text-scan.js";

describe("commercial terms", () => {
  it("reads percentages, prices, codes and free periods in their usual spellings, normalised", () => {
    const text =
      "Save 12.5% or 20 percent or 15 per cent; $1,200.50 or € 9; 30 USD, 2,000 dollars, 5.5 euros; " +
      'code: "WELCOME10", Coupon SPRING, promo FALL-22; SAVE20 and ABC and AB12; ' +
      "3 months free, a week on us, two extra months at no extra cost; free for 2 weeks, free month, free for six months";
    expect(findCommercialTokens(text)).toEqual([
      "percent:12.5", "percent:20", "percent:15",
      "price:1200.5", "price:9", "price:30", "price:2000", "price:5.5",
      "code:WELCOME10", "code:SPRING", "code:FALL-22", "code:SAVE20", "code:AB12",
      "free:3:month", "free:1:week", "free:2:month", "free:2:week", "free:1:month", "free:6:month",
    ]);
  });

  it("finds nothing commercial in plain prose, dates or plain capitals", () => {
    expect(findCommercialTokens("Hi Maya, since 2025-03-14 you saved 3 hours; the API and the CSV export are free to use.")).toEqual([]);
    expect(findCommercialTokens("Your code review is done. A freelance month.")).toEqual([]);
  });

  it("hears an offer in words without numbers", () => {
    expect(findOfferWords("A Discounted plan, vouchers, promotional code, cash back, cashback, half-price, money back, free upgrades, on the house, rebates")).toEqual([
      "discounted", "vouchers", "promotional code", "cash back", "cashback", "half-price", "money back", "free upgrades", "on the house", "rebates",
    ]);
    expect(findOfferWords("We counted the discounters' promos? No: a freeway and a housewarming.")).toEqual([]);
  });
});

describe("numbers", () => {
  it("reads grouped thousands and decimals, not digits inside ids or after a dot", () => {
    expect(findNumbers("1,200 and 3.14 and 42% and v2 int_a1 x.5 1,2345")).toEqual([
      { text: "1,200", value: 1200, decimals: 0 },
      { text: "3.14", value: 3.14, decimals: 2 },
      { text: "42", value: 42, decimals: 0 },
      { text: "1", value: 1, decimals: 0 },
      { text: "2345", value: 2345, decimals: 0 },
    ]);
  });
});

describe("links", () => {
  it("finds scheme URLs (by their real host), code-carrying schemes, www hosts and bare domains, not email domains", () => {
    expect(findLinks("see www.example.com/path, javascript:alert(1) and data:text/html,x and acme.example/help and https://good.example@evil.example/x. mail jane@corp.com")).toEqual([
      { text: "https://good.example@evil.example/x", host: "evil.example" },
      { text: "javascript:alert(1", host: null },
      { text: "data:text/html,x", host: null },
      { text: "www.example.com/path", host: "www.example.com" },
      { text: "acme.example/help", host: "acme.example" },
    ]);
    expect(findLinks("Thanks, Maya. See you soon... e.g. the 3.5 release")).toEqual([]);
  });
});

describe("personal data and secrets", () => {
  it("masks what it finds, and leaves runs too long for a phone or card alone", () => {
    expect(findPersonalData("call 555-0134-12 or 0123456789012345678901 ok; Bearer abc")).toEqual([{ kind: "a phone number", shown: "555***12" }]);
    expect(findPersonalData("write to a@b.co")).toEqual([{ kind: "an email address", shown: "***" }]);
    expect(findPersonalData("write to jane.doe@corp.example")).toEqual([{ kind: "an email address", shown: "jan***le" }]);
    expect(findPersonalData("ring 12345678")).toEqual([]);
  });

  it("redacts secrets from text about to be stored or logged", () => {
    expect(redactSecrets("key sk-abcdefghijklmnopqrst and AKIAIOSFODNN7EXAMPLE, ghp_abcdefghijklmnopqrstuvwxyz")).toBe("key sk-***st and AKI***LE, ghp***yz");
    expect(redactSecrets("nothing secret here")).toBe("nothing secret here");
  });
});

describe("placeholders", () => {
  it("finds bracketed and angled merge fields, not markdown links", () => {
    expect(findPlaceholders("Hi [First Name], [your company name] <first_name> < full_name > [Docs](https://x) [A]")).toEqual([
      "[First Name]", "[A]", "[your company name]", "<first_name>", "< full_name >",
    ]);
    expect(findPlaceholders("Hi Maya, [see the docs](https://x) and (a note).")).toEqual([]);
  });
});
