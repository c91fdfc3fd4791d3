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
 * C0 and C1 controls (ESC, CSI, OSC, CR, VT, FF, NEL, DEL…), bidi embeddings,
 * overrides, isolates and marks, zero-width and invisible formatting
 * characters, line and paragraph separators, interlinear annotation, and lone
 * surrogates. Newline is handled separately: it is legitimate in a message
 * body and never in a one-line field.
 */
const UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeOf(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
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
  const flat = visibleText(String(text ?? "")).replace(/\n+/g, " ⏎ ");
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}
