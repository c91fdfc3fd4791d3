/**
 * The one sanitizer for text an agent, a model or a customer wrote, on every
 * surface a human reads (the CLI, the approval page, the elicitation form,
 * `approvals list|show`, `audit`). A terminal obeys escape sequences and a
 * page or a terminal reorders text around bidi controls; either lets a
 * message body or a client name clear the screen or pose as the facts around
 * it. Every such character is shown as a visible escape (`\x1b`, `\u202e`)
 * instead, so what the human sees is exactly what was written, inert.
 */

/**
 * C0 and C1 controls (ESC, CSI, OSC, CR, VT, FF, NEL, DEL…) and line and
 * paragraph separators; newline is handled separately: it is legitimate in a
 * message body and never in a one-line field.
 */
const UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufffc\u2800\uffa0\u3164]|\p{Cf}|\p{Co}|\p{Cn}|\p{Default_Ignorable_Code_Point}|\p{Cs}/gu;

/**
 * Also shown as escapes: everything a renderer draws as nothing. Format
 * characters (bidi controls, zero-width joiners, tag characters U+E0000..7F
 * that can spell hidden words), private-use and unassigned code points,
 * default-ignorable ones (variation selectors, fillers such as U+3164),
 * blanks that look like nothing (U+2800, U+FFA0, U+FFFC), lone surrogates.
 * With them visible, the human reads exactly what the recipient would get.
 */
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
 * visible escapes, and the result is capped at `max` characters with "…".
 */
export function oneLine(text: string | null | undefined, max = ONE_LINE_MAX): string {
  // Runs of spaces collapse: padding could otherwise push text to where a terminal wraps it to column 0.
  const flat = visibleText(String(text ?? "")).replace(/\n+/g, " ⏎ ").replace(/ {2,}/g, " ");
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}
