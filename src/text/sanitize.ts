/**
 * The one sanitizer for text an agent, a model or a customer wrote, on every
 * surface a human reads (the CLI, the approval page, the elicitation form,
 * `approvals list|show`, `audit`). A terminal obeys escape sequences and a
 * page or a terminal reorders text around bidi controls, or draws some
 * characters as nothing at all; any of these lets a message body or a client
 * name clear the screen, hide words, or pose as the facts around it. Every
 * such character is shown as a visible escape (`\x1b`, `\u202e`, `\u{e0041}`)
 * instead, so what the human sees is exactly what was written, inert. The
 * writer's `hidden_characters` check uses the same class, so a message that
 * would need escaping never goes to a customer unflagged.
 */

/**
 * C0 and C1 controls (ESC, CSI, OSC, CR, VT, FF, NEL, DEL…) and the line and
 * paragraph separators; format characters (bidi controls, zero-width joiners,
 * tag characters U+E0000..7F that can spell hidden words); private-use,
 * unassigned and default-ignorable code points (variation selectors, fillers
 * such as U+3164); blanks that look like nothing (U+2800, U+FFA0, U+FFFC);
 * lone surrogates. The newline is not here: it is legitimate in a message
 * body, and one-line fields replace it themselves.
 */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufffc\u2800\uffa0\u3164]|\p{Cf}|\p{Co}|\p{Cn}|\p{Default_Ignorable_Code_Point}|\p{Cs}/gu;

function escapeOf(c: string): string {
  const code = c.codePointAt(0)!;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Multi-line text (a message body, reasoning): line breaks stay line breaks
 * (CRLF and LF; a lone CR, which returns the cursor to column 0 of the same
 * line, does not), everything else unsafe becomes a visible escape.
 */
export function visibleText(text: string): string {
  return String(text).replace(/\r\n/g, "\n").replace(UNSAFE, escapeOf);
}

/** The longest a one-line field is shown: long enough to read, short enough to stay one row of a list. */
export const ONE_LINE_MAX = 200;

/**
 * A field that must stay one line (client name and version, flag reason,
 * actor, user id, subject): line breaks become a visible ⏎, unsafe characters
 * visible escapes, runs of spaces one space (padding could push text to where
 * a terminal wraps it to column 0), and the result is capped at `max`
 * characters with "…".
 */
export function oneLine(text: string | null | undefined, max = ONE_LINE_MAX): string {
  const flat = visibleText(String(text ?? "")).replace(/\n+/g, " ⏎ ").replace(/ {2,}/g, " ");
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * The unsafe characters a message to a customer carries, as escapes: all of
 * the class above but the tab and the two that emoji are built from (U+200D
 * joins them, U+FE0F asks for the colour form), which hide nothing.
 */
export function hiddenCharacters(text: string): string[] {
  const found = new Set<string>();
  for (const [c] of text.matchAll(UNSAFE)) {
    if (c !== "\t" && c !== "\u200d" && c !== "\ufe0f") found.add(escapeOf(c));
  }
  return [...found];
}
