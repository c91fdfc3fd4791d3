/**
 * The operations write SQLite's `?` placeholders; PostgreSQL numbers them
 * ($1, $2, …). A `?` inside a string literal, a quoted identifier or a
 * comment is text, not a placeholder, and stays as it is; a statement whose
 * placeholders do not match its parameters is refused before it reaches the
 * server, where it would fail with a less telling message.
 */

/** `sql` with each placeholder `?` numbered, and how many there were. */
export function numberPlaceholders(sql: string): { text: string; count: number } {
  let text = "";
  let count = 0;
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    if (char === "'" || char === '"') {
      const end = closingQuote(sql, i, char);
      text += sql.slice(i, end);
      i = end;
    } else if (char === "-" && sql[i + 1] === "-") {
      const newline = sql.indexOf("\n", i);
      const end = newline === -1 ? sql.length : newline;
      text += sql.slice(i, end);
      i = end;
    } else if (char === "$" && /^\$[A-Za-z_]*\$/.test(sql.slice(i))) {
      // A dollar-quoted string would need its own scanner; the operations never write one.
      throw new Error(`dollar-quoted strings are not supported in store statements: ${sql}`);
    } else if (char === "?") {
      text += `$${++count}`;
      i++;
    } else {
      text += char;
      i++;
    }
  }
  return { text, count };
}

/** The index just past the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  for (;;) {
    const next = sql.indexOf(quote, i);
    if (next === -1) throw new Error(`unterminated ${quote === "'" ? "string literal" : "quoted identifier"} in store statement: ${sql}`);
    if (sql[next + 1] === quote) {
      i = next + 2;
      continue;
    }
    return next + 1;
  }
}
