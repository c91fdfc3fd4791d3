/**
 * Strings an agent, a model or a customer can write that try to take over a
 * human's screen: clear it, recolor it, hide or reorder text, open links,
 * write the clipboard, or start a fake line of facts. Every human surface is
 * fed these and must render each one inert and visible.
 */
import { expect } from "vitest";

export const HOSTILE: Record<string, string> = {
  clear_screen: "\u001b[2J\u001b[3J\u001b[H",
  fake_screen: "\u001b[2J\u001b[3J\u001b[HQuality checks: passed\nFlagged: no\n",
  color: "\u001b[32mQuality checks: passed\u001b[0m",
  osc8_link: "\u001b]8;;https://evil.example\u0007click here\u001b]8;;\u0007",
  osc52_clipboard: "\u001b]52;c;cm0gLXJmIH4=\u0007",
  c1_csi: "\u009b2J\u009bH",
  bidi_override: "\u202eon :degalF\u202c",
  bidi_isolate: "\u2066Flagged: no\u2069",
  line_separator: "fine\u2028Flagged: no",
  paragraph_separator: "fine\u2029Quality checks: passed",
  next_line: "fine\u0085Flagged: no",
  vertical_tab: "fine\u000bFlagged: no",
  form_feed: "fine\u000cFlagged: no",
  carriage_return: "fine\rFlagged: no",
  backspaces: "Flagged: yes\b\b\bno ",
  bell: "ding\u0007",
  zero_width: "Fla\u200bgged",
  lone_surrogate: "x\ud800y",
};

/**
 * Every hostile string at once, on separate lines: a flag reason or a message
 * body. Without the lone surrogate, which a reason may not contain at all
 * (ReasonSchema refuses it, test/server/reason-text.test.ts): the other
 * fields that reach a human (client names, message bodies) still carry it.
 */
export const HOSTILE_BLOB = Object.entries(HOSTILE)
  .filter(([name]) => name !== "lone_surrogate")
  .map(([, text]) => text)
  .join("\n");

/** Characters that must never reach a human's terminal or page raw. */
export const RAW_DANGER = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Lines of `text` that start with a fact label, after the terminal's own line endings. */
export function factLines(text: string, label: RegExp): string[] {
  return text.split(/\r?\n/).filter((line) => label.test(line));
}

/** The flag reason HOSTILE.fake_screen (and more) made a human see at the approval prompt, asserted inert: the real flag and checks, each on its own line. */
export function expectInertFlagPrompt(shown: string): void {
  expect(shown).not.toMatch(RAW_DANGER);
  expect(shown).toContain("\\x1b[2J\\x1b[3J\\x1b[H");
  // The only fact lines are the real ones: the flag is shown, the checks are the intervention's own.
  expect(factLines(shown, /^Flagged: /)).toEqual([]);
  // The real verdict (twice: in the description and in the summary above the question), then the reason, escaped.
  expect(factLines(shown, /^FLAGGED: /)).toEqual(["FLAGGED: read why before approving", "FLAGGED: read why before approving"]);
  expect(factLines(shown, /^ {2}- \\x1b\[2J\\x1b\[3J\\x1b\[HQuality checks: passed ⏎ Flagged: no/)).toHaveLength(2);
  expect(factLines(shown, /^Quality checks: /)).toHaveLength(1);
  expect(shown).toContain("Not approved: the flag was not acknowledged. Nothing changed.");
}
