/**
 * The sanitizer every human surface shows agent-written text through
 * (src/text/sanitize.ts), at its edges: each end of every range of the unsafe
 * class, the characters just outside it that must stay as written, the width of
 * each escape, line endings, and where a one-line field is cut. A character that
 * slips through here reaches a terminal raw; one escaped that should not be
 * garbles an ordinary message. The surfaces' own tests (test/guard/spoofing,
 * forgery-paths) show the same class end to end.
 */
import { describe, expect, it } from "vitest";
import { hiddenCharacters, oneLine, ONE_LINE_MAX, visibleText } from "../../src/text/sanitize.js";

describe("visibleText", () => {
  it("escapes both ends of each control range and keeps the printable characters beside them", () => {
    expect(visibleText("\u0000\u0009")).toBe(String.raw`\x00\x09`);
    expect(visibleText("\u000b\u001f")).toBe(String.raw`\x0b\x1f`);
    expect(visibleText("\u007f\u009f")).toBe(String.raw`\x7f\x9f`);
    // Space, tilde and the no-break space sit just outside the ranges: shown as written.
    expect(visibleText(" ~\u00a0A")).toBe(" ~\u00a0A");
  });

  it("escapes the separators, the blanks that draw as nothing, and each Unicode class", () => {
    const cases: Record<string, string> = {
      "\u2028": String.raw`\u2028`,
      "\u2029": String.raw`\u2029`,
      "\ufffc": String.raw`\ufffc`,
      "\u2800": String.raw`\u2800`,
      "\uffa0": String.raw`\uffa0`,
      "\u3164": String.raw`\u3164`,
      // format (bidi override, zero width space, soft hyphen)
      "\u202e": String.raw`\u202e`,
      "\u200b": String.raw`\u200b`,
      "\u00ad": String.raw`\xad`,
      // private use, in the BMP and past it
      "\ue000": String.raw`\ue000`,
      "\u{f0000}": String.raw`\u{f0000}`,
      // unassigned, and the noncharacter at the very top of the BMP
      "\u0378": String.raw`\u0378`,
      "\uffff": String.raw`\uffff`,
      // default-ignorable but neither format nor unassigned (a filler, a grapheme joiner)
      "\u115f": String.raw`\u115f`,
      "\u034f": String.raw`\u034f`,
      // lone surrogates, high and low
      "\ud800": String.raw`\ud800`,
      "\udfff": String.raw`\udfff`,
    };
    for (const [raw, shown] of Object.entries(cases)) expect(visibleText(`a${raw}b`), `U+${raw.codePointAt(0)!.toString(16)}`).toBe(`a${shown}b`);
  });

  it("escapes every unsafe character of a text, not only the first", () => {
    expect(visibleText("\u001b[2J\u001b[H\u202eX")).toBe(String.raw`\x1b[2J\x1b[H\u202eX`);
  });

  it("keeps line feeds and CRLF line breaks, and shows a lone carriage return", () => {
    expect(visibleText("one\r\ntwo\r\nthree\nfour")).toBe("one\ntwo\nthree\nfour");
    expect(visibleText("Flagged: yes\rno")).toBe(String.raw`Flagged: yes\x0dno`);
  });

  it("leaves letters, emoji and their joiners' neighbours as written", () => {
    expect(visibleText("é 日本 😀 Ω")).toBe("é 日本 😀 Ω");
  });
});

describe("oneLine", () => {
  it("turns each run of line breaks into one visible ⏎ and squashes padding to one space", () => {
    expect(oneLine("first\nsecond\n\n\nthird")).toBe("first ⏎ second ⏎ third");
    expect(oneLine("a\r\nb")).toBe("a ⏎ b");
    expect(oneLine("tone   Cleared")).toBe("tone Cleared");
    expect(oneLine("a \n b")).toBe("a ⏎ b");
  });

  it("shows nothing for a missing field", () => {
    expect(oneLine(null)).toBe("");
    expect(oneLine(undefined)).toBe("");
  });

  it("keeps a field of exactly the cap and cuts a longer one to the cap, ending in …", () => {
    expect(oneLine("x".repeat(ONE_LINE_MAX))).toBe("x".repeat(ONE_LINE_MAX));
    expect(oneLine("x".repeat(ONE_LINE_MAX + 1))).toBe(`${"x".repeat(ONE_LINE_MAX - 1)}…`);
    expect(oneLine("abcdef", 4)).toBe("abc…");
    expect(oneLine("abcd", 4)).toBe("abcd");
    // A cap of nothing still says something was cut.
    expect(oneLine("abc", 0)).toBe("…");
  });

  it("caps what the human sees, escapes included", () => {
    expect(oneLine("\u001b\u001b\u001b", 6)).toBe("\\x1b\\…");
  });
});

describe("hiddenCharacters", () => {
  it("names each unsafe character of a message once, as the escape a human would see", () => {
    expect(hiddenCharacters("Hi\u200b there\u200b, \u202eok\u{e0041}\u0000")).toEqual([String.raw`\u200b`, String.raw`\u202e`, String.raw`\u{e0041}`, String.raw`\x00`]);
  });

  it("lets the tab and the emoji joiner and colour selector pass, but nothing else of the class", () => {
    expect(hiddenCharacters("a\tb 👩\u200d💻 ❤\ufe0f")).toEqual([]);
    expect(hiddenCharacters("\t\u200c\ufe0e")).toEqual([String.raw`\u200c`, String.raw`\ufe0e`]);
    expect(hiddenCharacters("plain text\nwith lines")).toEqual([]);
  });
});
