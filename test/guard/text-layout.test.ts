/**
 * The layout every human-facing screen relies on to keep model text off
 * column 0: how many columns a character takes on a terminal (wide, zero-width
 * and ordinary, at the edges of each range), and where lines break, exactly.
 * terminal-layout.test.ts shows the whole approval screen holding; this shows
 * the pieces it is built from.
 */
import { describe, expect, it } from "vitest";
import { displayWidth, fieldLine, gutterBlock, ownLine, wrapLine } from "../../src/guard/text-layout.js";

describe("displayWidth", () => {
  // Each range's first and last code point, and the code points just outside it.
  const ranges: [number, number, number][] = [
    [0x300, 0x36f, 0], // combining diacritical marks
    [0xfe00, 0xfe0f, 0], // variation selectors
    [0x1100, 0x115f, 2], // Hangul Jamo
    [0x2e80, 0xa4cf, 2], // CJK radicals … Yi
    [0xac00, 0xd7a3, 2], // Hangul syllables
    [0xf900, 0xfaff, 2], // CJK compatibility ideographs
    [0xfe30, 0xfe4f, 2], // CJK compatibility forms
    [0xff00, 0xff60, 2], // fullwidth forms
    [0xffe0, 0xffe6, 2], // fullwidth signs
    [0x1f300, 0x1faff, 2], // pictographs and emoji
    [0x20000, 0x3fffd, 2], // CJK extension planes
  ];
  for (const [first, last, width] of ranges) {
    it(`gives U+${first.toString(16)}–U+${last.toString(16)} ${width} columns, and its neighbours 1`, () => {
      const at = (codePoint: number) => displayWidth(`a${String.fromCodePoint(codePoint)}`) - 1;
      expect([at(first - 1), at(first), at(last), at(last + 1)]).toEqual([1, width, width, 1]);
    });
  }

  it("adds up a mixed line", () => {
    expect(displayWidth("ab日本e\u0301😀")).toBe(2 + 4 + 1 + 2);
  });
});

describe("wrapLine", () => {
  it("keeps a line that fits exactly, and breaks one column over at the last space", () => {
    expect(wrapLine("aaaa bbbb", 9)).toEqual(["aaaa bbbb"]);
    expect(wrapLine("aaaa bbbbb", 9)).toEqual(["aaaa", "bbbbb"]);
    expect(wrapLine("aaaa bbbb cccc", 9)).toEqual(["aaaa", "bbbb cccc"]);
  });

  it("breaks inside a word only when it must, counting wide characters as two", () => {
    expect(wrapLine("abcdefghijkl", 5)).toEqual(["abcde", "fghij", "kl"]);
    expect(wrapLine("ab 日本語テキスト", 5)).toEqual(["ab", "日本", "語テ", "キス", "ト"]);
  });

  it("drops rows of only spaces, keeps an empty line as one empty row, and never goes below one column", () => {
    expect(wrapLine("aaa     bbb", 4)).toEqual(["aaa", "bbb"]);
    expect(wrapLine("     ", 2)).toEqual([""]);
    expect(wrapLine("", 10)).toEqual([""]);
    expect(wrapLine("abc", 0)).toEqual(["a", "b", "c"]);
  });

  it("keeps a line that fits exactly as it is, and drops the trailing spaces of a wrapped one", () => {
    expect(wrapLine("ab  ", 10)).toEqual(["ab  "]);
    expect(wrapLine("ab  ", 4)).toEqual(["ab  "]);
    expect(wrapLine("aaaa  ", 4)).toEqual(["aaaa"]);
    expect(wrapLine("aaaa bb ", 5)).toEqual(["aaaa", "bb"]);
  });
});

describe("gutterBlock, fieldLine, ownLine", () => {
  it("puts the gutter on every row of model text, blank lines included, within the width", () => {
    expect(gutterBlock("one two three four\n\nfive", 12)).toEqual(["  │ one two", "  │ three", "  │ four", "  │", "  │ five"]);
  });

  it("continues a one-line field on indented rows that stay within the width", () => {
    const rows = fieldLine("Subject: ", "a b c d e f g h i j k l m n o p", 16);
    expect(rows).toEqual(["Subject: a b c", "    d e f g h i", "    j k", "    l m n o p"]);
    for (const row of rows) expect(displayWidth(row)).toBeLessThanOrEqual(16);
  });

  it("keeps a field one line, its line breaks shown, and cut at its maximum", () => {
    expect(fieldLine("Subject: ", "line one\nline two", 40)).toEqual(["Subject: line one ⏎ line two"]);
    expect(fieldLine("Subject: ", "x".repeat(50), 80, 10)).toEqual(["Subject: xxxxxxxxx…"]);
  });

  it("wraps our own lines the same way", () => {
    expect(ownLine("12  2026  approval_requested  int_x  agent:a  {detail}", 20)).toEqual(["12  2026", "    approval_request", "    ed", "    int_x  agent:a", "    {detail}"]);
  });
});
