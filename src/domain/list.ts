/**
 * A page of interventions, as every backend and the store answer a list:
 * newest first, filtered on indexed fields, with an opaque cursor.
 */
import type { Channel, DetailedIntervention, Status } from "../api/schemas.js";

export interface ListQuery {
  /** Page size, 1..500. */
  limit: number;
  /** Opaque cursor from a previous page's `next_cursor`. */
  cursor?: string;
  status?: Status;
  user_id?: string;
  channel?: Channel;
  flagged?: boolean;
}

export interface ListPage<Row = DetailedIntervention> {
  interventions: Row[];
  /** Pass back as `cursor` for the next page; null when this is the last page. */
  next_cursor: string | null;
  /** Set when the backend could search only part of the data (the API's list window). */
  window?: { scanned: number; complete: boolean; note: string };
}
