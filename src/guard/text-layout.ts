/**
 * Laying text out in a fixed number of columns, ourselves, so that no text an
 * agent or a model wrote can land at column 0 where a fact line starts: a
 * terminal (or a client's dialog) that soft-wraps a long line would otherwise
 * start its continuation there. Model text is wrapped behind a gutter repeated
 * on every row; a long one-line field continues on indented rows.
 */
import { oneLine, visibleText } from "../text/sanitize.js";

/** Columns a character takes on a terminal: 2 for East Asian wide and emoji, 0 for combining marks. */
function charWidth(codePoint: number): number {
  if ((codePoint >= 0x300 && codePoint <= 0x36f) || (codePoint >= 0xfe00 && codePoint <= 0xfe0f)) return 0;
  if (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const c of text) width += charWidth(c.codePointAt(0)!);
  return width;
}

/** Hard-wraps one line to `width` columns, breaking at spaces where it can, inside words where it must. */
export function wrapLine(line: string, width: number): string[] {
  const limit = Math.max(1, width);
  if (displayWidth(line) <= limit) return [line];
  const rows: string[] = [];
  let row = "";
  let rowWidth = 0;
  for (const word of line.split(/(?<= )/)) {
    const wordWidth = displayWidth(word);
    if (rowWidth + wordWidth <= limit) {
      row += word;
      rowWidth += wordWidth;
      continue;
    }
    if (row.trim() !== "") rows.push(row.trimEnd());
    row = "";
    rowWidth = 0;
    for (const c of word) {
      const w = charWidth(c.codePointAt(0)!);
      if (rowWidth + w > limit) {
        rows.push(row);
        row = "";
        rowWidth = 0;
      }
      row += c;
      rowWidth += w;
    }
  }
  if (row.trim() !== "" || rows.length === 0) rows.push(row.trimEnd());
  return rows;
}

export const GUTTER = "  │ ";

/** Model-written text behind the gutter, on every row, wrapped to fit `width` columns. */
export function gutterBlock(text: string, width: number): string[] {
  const inner = width - displayWidth(GUTTER);
  return visibleText(text)
    .split("\n")
    .flatMap((line) => wrapLine(line, inner))
    .map((row) => `${GUTTER}${row}`.trimEnd());
}

/** `label` and a value an agent or model may have written: one logical line, continued on indented rows. */
export function fieldLine(label: string, value: string, width: number, max?: number): string[] {
  const [first = "", ...rest] = wrapLine(`${label}${oneLine(value, max)}`, width);
  return [first, ...rest.flatMap((row) => wrapLine(row, width - 4)).map((row) => `    ${row}`)];
}

/** A line we wrote ourselves, wrapped the same way (continuations indented). */
export function ownLine(text: string, width: number): string[] {
  const [first = "", ...rest] = wrapLine(text, width);
  return [first, ...rest.flatMap((row) => wrapLine(row, width - 4)).map((row) => `    ${row}`)];
}
