/**
 * The API lists only the `limit` most recent interventions: no filters, no
 * cursor. We fetch a window of them and filter and page inside it, and say so
 * in the page (`window`), because an intervention older than the window is
 * invisible to us rather than absent.
 */
import type { DetailedIntervention } from "../../api/schemas.js";
import { InvalidInputError } from "../../errors.js";
import type { ListPage, ListQuery } from "../types.js";

export interface ListWindow {
  /** How many interventions the API returned, newest first. */
  scanned: number;
  /** False when the API may hold older interventions beyond the window. */
  complete: boolean;
  /** One sentence for the agent about what was searched. */
  note: string;
}

/** A list page from the HTTP backend: the interface's page plus what was searched. */
export interface WindowedListPage<Row = DetailedIntervention> extends ListPage<Row> {
  window: ListWindow;
}

/** How many to ask for: just enough to know whether a next page exists, or the whole window when filtering. */
export function windowSizeFor(query: ListQuery, maxWindow: number): number {
  const filtering =
    query.cursor !== undefined ||
    query.status !== undefined ||
    query.user_id !== undefined ||
    query.channel !== undefined ||
    query.flagged !== undefined;
  return filtering ? maxWindow : Math.min(query.limit + 1, maxWindow);
}

/**
 * `maxWindow` is the most this client ever asks for. A page that asked for
 * less (an unfiltered first page asks for `limit + 1`, only to learn whether a
 * next page exists) hid nothing: its cursor pages on into a larger window.
 * Only a full window of the largest size means older interventions are out
 * of reach, and only then does the note say so.
 */
export function describeWindow(scanned: number, requested: number, maxWindow: number): ListWindow {
  // Fewer than asked means the end was reached, unless upstream caps `limit` below what we asked:
  // we cannot tell the two apart, so the note says what was asked and what came back.
  if (scanned < requested) {
    return { scanned, complete: true, note: `Searched all ${scanned} interventions the Retivo API listed (asked for up to ${requested}).` };
  }
  if (requested < maxWindow) {
    return { scanned, complete: true, note: `Listed the ${scanned} most recent interventions; next_cursor pages on.` };
  }
  return {
    scanned,
    complete: false,
    note: `Searched the ${scanned} most recent interventions only; the Retivo API lists no further back, so older ones were not searched.`,
  };
}

export function pageFromWindow(items: DetailedIntervention[], query: ListQuery, requested: number, maxWindow: number): WindowedListPage {
  const window = describeWindow(items.length, requested, maxWindow);
  let start = 0;
  if (query.cursor !== undefined) {
    const afterId = decodeCursor(query.cursor);
    const index = items.findIndex((item) => item.id === afterId);
    if (index === -1) {
      throw new InvalidInputError(
        `The cursor points after ${afterId}, which is no longer within the ${items.length} most recent interventions.`,
        "Start over without a cursor.",
      );
    }
    start = index + 1;
  }
  const matching = items.slice(start).filter((item) => matches(item, query));
  const page = matching.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    interventions: page,
    next_cursor: matching.length > query.limit && last ? encodeCursor(last.id) : null,
    window,
  };
}

function matches(item: DetailedIntervention, query: ListQuery): boolean {
  return (
    (query.status === undefined || item.status === query.status) &&
    (query.user_id === undefined || item.user_id === query.user_id) &&
    (query.channel === undefined || item.channel === query.channel) &&
    (query.flagged === undefined || item.flagged === query.flagged)
  );
}

/** Cursor: the id of the page's last item; ids are stable where positions shift as new ones arrive. */
function encodeCursor(id: string): string {
  return Buffer.from(`a:${id}`).toString("base64url");
}

function decodeCursor(cursor: string): string {
  const match = /^a:([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) {
    throw new InvalidInputError(
      "cursor is not one this server issued.",
      "Pass the next_cursor value from the previous list_interventions page unchanged, or omit it to start over.",
    );
  }
  return match[1]!;
}
