/**
 * Detector vectors at the edges: card and phone numbers by digit count either
 * side of each bound, with and without a valid Luhn checksum; each secret
 * pattern at its shortest match and one character short of it; email
 * addresses in their usual and unusual spellings. A detector that loosens or
 * tightens by one character fails here.
 */
import { describe, expect, it } from "vitest";
import { findCommercialTokens, findLinks, findMarkup, findNumbers, findOfferWords, findPersonalData, findPlaceholders, hostOf, luhnValid } from "../../src/writer/text-scan.js";

/** `body` with the digit appended that makes it pass the Luhn check. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error("unreachable");
}

/** `body` with a final digit that fails the Luhn check. */
function withoutCheckDigit(body: string): string {
  const valid = withCheckDigit(body);
  return `${body}${(Number(valid.at(-1)) + 1) % 10}`;
}

const kinds = (text: string) => findPersonalData(text).map((f) => f.kind);

describe("card and phone numbers by length", () => {
  it("reads 13 to 19 digits with a valid checksum as a card, and no other length", () => {
    for (const length of [13, 16, 19]) expect(kinds(`pay with ${withCheckDigit("4".repeat(length - 1))} today`), `${length}`).toEqual(["a card number"]);
    // 12 digits with a valid checksum are no card; they read as a phone number.
    expect(kinds(`call ${withCheckDigit("4".repeat(11))} today`)).toEqual(["a phone number"]);
    // 20 are neither a card nor a phone number.
    expect(kinds(`ref ${withCheckDigit("4".repeat(19))} today`)).toEqual([]);
  });

  it("reads 9 to 15 digits without a valid checksum as a phone number, and no other length", () => {
    for (const length of [9, 13, 15]) expect(kinds(`call ${withoutCheckDigit("5".repeat(length - 1))} today`), `${length}`).toEqual(["a phone number"]);
    expect(kinds("call 5555-5555 today")).toEqual([]);
    expect(kinds(`ref ${withoutCheckDigit("5".repeat(15))} today`)).toEqual([]);
  });

  it("reads the usual separators and an international prefix as one number, and masks its digits", () => {
    expect(findPersonalData("call +44 (20) 7946.0958 now")).toEqual([{ kind: "a phone number", shown: "442***58" }]);
    expect(findPersonalData("card 4111 1111 1111 1111")).toEqual([{ kind: "a card number", shown: "411***11" }]);
  });
});

describe("secrets at their shortest", () => {
  it.each([
    ["an OpenAI-style key", "sk-", "a".repeat(16)],
    ["a restricted key", "rk-", "A1_-".repeat(4)],
    ["a Stripe test key", "pk_test_", "abc123"],
    ["a refresh token", "rt_live_", "ABCDEF"],
    ["a GitHub OAuth token", "gho_", "a".repeat(20)],
    ["a GitHub app token", "ghs_", `${"A_1".repeat(6)}AB`],
    ["a Slack user token", "xoxp-", "a".repeat(10)],
    ["a Slack refresh token", "xoxr-", "a-b-c-d-ef"],
    ["an AWS key id", "AKIA", "ABCDEFGHIJKLMNOP"],
    ["a bearer token", "Bearer ", "abcd.efgh~ijkl+/"],
  ])("catches %s, and not one character short", (_what, prefix, tail) => {
    expect(kinds(`use ${prefix}${tail} now`)).toEqual(["an API key or token"]);
    expect(kinds(`use ${prefix}${tail.slice(0, -1)} now`)).toEqual([]);
  });

  it("catches a JWT at the shortest header and payload, not with either one short", () => {
    const jwt = "eyJ" + "a".repeat(8) + ".eyJ" + "b".repeat(8) + ".s";
    expect(kinds(`token ${jwt} ok`)).toEqual(["an API key or token"]);
    expect(kinds(`token ${"eyJ" + "a".repeat(7) + ".eyJ" + "b".repeat(8) + ".s"} ok`)).toEqual([]);
    expect(kinds(`token ${"eyJ" + "a".repeat(8) + ".eyJ" + "b".repeat(7) + ".s"} ok`)).toEqual([]);
  });

  it("does not read a key inside a longer word", () => {
    expect(kinds("the task-abcdefghijklmnopqr and xAKIAABCDEFGHIJKLMNOP")).toEqual([]);
  });
});

describe("email addresses", () => {
  it("finds plus, dotted, hyphenated and subdomain addresses, in any case", () => {
    expect(findPersonalData("to Jane.Doe+news@mail.Other-Corp.co.UK, a_b%c@x-y.io")).toEqual([
      { kind: "an email address", shown: "Jan***UK" },
      { kind: "an email address", shown: "a_b***io" },
    ]);
  });

  it("needs a top-level domain of two letters or more", () => {
    expect(kinds("to jane@corp.c or jane@corp")).toEqual([]);
  });
});

describe("commercial terms at the edges", () => {
  it("reads percentages with or without a space, in any case, not inside longer words", () => {
    expect(findCommercialTokens("12 % and 7percent and 3 PER CENT and 5 percentage and 9 per centre")).toEqual(["percent:12", "percent:7", "percent:3"]);
  });

  it("reads prices by symbol or currency word, not a word that only starts like one", () => {
    expect(findCommercialTokens("$ 5 and £3 and €1,000.50 and $.5 and 5USD and 5 usd and 1 pound and 3 euro and 10 GBP and 5 USDC and 7 dollarsign")).toEqual([
      "price:5", "price:3", "price:1000.5", "price:1", "price:10",
    ]);
  });

  it("reads a code after 'code', 'coupon' or 'promo' in quotes or not, only in capitals and at least three long", () => {
    expect(findCommercialTokens(`CODE: 'ABC' and Coupon “XYZ1” and promo ab and code AB and code A-B_C`)).toEqual(["code:ABC", "code:XYZ1", "code:A-B_C"]);
    expect(findCommercialTokens("A1B2 and AB1 and 1ABC and ABCD and A1B2C")).toEqual(["code:A1B2", "code:A1B2C"]);
  });

  it("reads free periods written out in words, with extra or bonus, and as 'free for'", () => {
    expect(findCommercialTokens("3 bonus weeks free, an extra month at no cost, twelve months on us, free for twelve months, free weeks, one week free")).toEqual([
      "free:3:week", "free:1:month", "free:12:month", "free:1:week",
    ]);
  });

  it("hears every offer word in its forms, and nothing that only starts like one", () => {
    expect(findOfferWords("discounts, coupon, promotion, promotional, promo code, rebate, cashback, half off, money-back, free trials, free seat, free plan, freebies, promos")).toEqual([
      "discounts", "coupon", "promotion", "promotional", "promo code", "rebate", "cashback", "half off", "money-back", "free trials", "free seat", "free plan",
    ]);
  });
});

describe("numbers, links, markup and placeholders at the edges", () => {
  it("reads numbers with grouping and decimals as written", () => {
    expect(findNumbers("0.5 and 10,000,000 and 12,345.67 and a1 and 3_000 and 7.0")).toEqual([
      { text: "0.5", value: 0.5, decimals: 1 },
      { text: "10,000,000", value: 10000000, decimals: 0 },
      { text: "12,345.67", value: 12345.67, decimals: 2 },
      { text: "7.0", value: 7, decimals: 1 },
    ]);
  });

  it("finds links of any scheme and case, hostless schemes, www hosts and bare domains, without trailing punctuation", () => {
    expect(findLinks("go to WWW.Example.COM/a?b=c) or www.x.io, ftp://files.example/x; vbscript:run FILE:///etc/passwd shop.example! docs.acme.app/a/b.")).toEqual([
      { text: "ftp://files.example/x", host: "files.example" },
      { text: "FILE:///etc/passwd", host: null },
      { text: "vbscript:run", host: null },
      { text: "WWW.Example.COM/a?b=c", host: "www.example.com" },
      { text: "www.x.io", host: "www.x.io" },
      { text: "shop.example", host: "shop.example" },
      { text: "docs.acme.app/a/b", host: "docs.acme.app" },
    ]);
    expect(findLinks("sub.domain.example.co and x.xn--p1ai and 1.2.3 and e.g and my-site.io/path/ and mid-word.iox")).toEqual([
      { text: "sub.domain.example.co", host: "sub.domain.example.co" },
      { text: "x.xn--p1ai", host: "x.xn--p1ai" },
      { text: "my-site.io/path/", host: "my-site.io" },
    ]);
  });

  it("reads a link's host in lower case without its trailing dot, and none from what is no URL", () => {
    expect([hostOf("https://Example.COM./x"), hostOf("HTTP://a.b"), hostOf("exa mple"), hostOf("a.example")]).toEqual(["example.com", "a.b", null, "a.example"]);
  });

  it("finds tags in any case, self-closing and with attributes, comments and markdown links and images, shown cut to 40 characters", () => {
    expect(findMarkup("<b>x</b> <IMG SRC=x> <br/> <my-tag a=1> <!-- hidden --> ![img](u) [t](u) < b> <3")).toEqual([
      "<b>", "</b>", "<IMG SRC=x>", "<br/>", "<my-tag a=1>", "<!-- hidden -->", "![img](u)", "[t](u)",
    ]);
    expect(findMarkup(`<a href='${"x".repeat(60)}'>`)).toEqual([`<a href='${"x".repeat(31)}`]);
  });

  it("finds every merge-field spelling once each", () => {
    expect(findPlaceholders("{{ x }} ${y} {z} {{w}} %A1% %1A% [Company] [a](b) [insert your link here] [x] <last_name> <fullname> <name> {1a}")).toEqual([
      "{{ x }}", "{{w}}", "${y}", "{y}", "{z}", "%A1%", "[Company]", "[insert your link here]", "<last_name>", "<fullname>", "<name>",
    ]);
  });
});

describe("each spelling on its own", () => {
  it.each([
    ["12.55%", "percent:12.55"],
    ["5.55 USD", "price:5.55"],
    ["1 dollar", "price:1"],
    ["5USD", "price:5"],
    ["3 euro", "price:3"],
    ["code : ABC", "code:ABC"],
    ["Coupon:XYZ", "code:XYZ"],
    ["promo:  QQQ", "code:QQQ"],
    ["12 months free", "free:12:month"],
    ["3  months free", "free:3:month"],
    ["an extra  month free", "free:1:month"],
    ["3 bonus  weeks free", "free:3:week"],
    ["2 months  free", "free:2:month"],
    ["a month at no extra cost", "free:1:month"],
    ["six weeks at no cost", "free:6:week"],
    ["free  for 2 weeks", "free:2:week"],
    ["free for  3 weeks", "free:3:week"],
    ["free for 12 weeks", "free:12:week"],
    ["free for a month", "free:1:month"],
  ])("reads %s as %s", (text, token) => {
    expect(findCommercialTokens(`Hi Maya, ${text} for you.`)).toEqual([token]);
  });

  it("reads 'N free months on us' as N months, however spaced", () => {
    // "free months" alone also reads as one free month; the N months must be there too.
    for (const text of ["2 free months on us", "2 free  months on us"]) expect(findCommercialTokens(`Hi Maya, ${text}.`)).toContain("free:2:month");
  });

  it("finds a phone number at the very start of the text, a bearer token after several spaces, a JWT with its whole signature", () => {
    expect(findPersonalData("4155550134 is mine")).toEqual([{ kind: "a phone number", shown: "415***34" }]);
    expect(findPersonalData("token Bearer  abcdefghijklmnopqrstuvwxyz")).toEqual([{ kind: "an API key or token", shown: "Bea***yz" }]);
    expect(findPersonalData("session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYXlhIn0.signature")).toEqual([{ kind: "an API key or token", shown: "eyJ***re" }]);
  });

  it("trims every trailing punctuation mark off a link, and reads a www host on any top-level domain", () => {
    expect(findLinks("(see https://a.example/x). and www.lumen.internal/path")).toEqual([
      { text: "https://a.example/x", host: "a.example" },
      { text: "www.lumen.internal/path", host: "www.lumen.internal" },
    ]);
  });

  it("reads the host of a bare link that carries a URL in its query, and none from a file URL", () => {
    expect(hostOf("acme.example/r?next=https://evil.example")).toBe("acme.example");
    expect(hostOf("file:///etc/passwd")).toBeNull();
  });
});
