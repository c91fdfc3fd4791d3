/**
 * Detector vectors at the edges: card and phone numbers by digit count either
 * side of each bound, with and without a valid Luhn checksum; each secret
 * pattern at its shortest match and one character short of it; email
 * addresses in their usual and unusual spellings. A detector that loosens or
 * tightens by one character fails here.
 */
import { describe, expect, it } from "vitest";
import { findPersonalData, luhnValid } from "../../src/writer/text-scan.js";

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
