/**
 * The one write every transition makes: a compare-and-set on status and
 * version, so of two writers that read the same row only the first moves it.
 */
import type { Status } from "../../api/schemas.js";
import { preview } from "../../api/compact.js";
import type { Tx } from "../sql.js";
import type { InterventionRow } from "./interventions.js";

/** Columns a transition may set besides status, version and updated_at. */
export type RowChanges = Partial<
  Pick<
    InterventionRow,
    | "approved_at"
    | "sent_at"
    | "delivered_at"
    | "rolled_back_at"
    | "flagged"
    | "flag_reason"
    | "review_flag_reason"
    | "reject_reason"
    | "rollback_reason"
    | "suppress_reason"
    | "message_body"
    | "subject"
    | "channel"
    | "planned_at"
  >
> & { status?: Status };

/**
 * Applies `changes` only if the row is still at `expected` (status and version).
 * Returns the row as written (RETURNING: no second read for it), or undefined
 * when someone else changed it first.
 */
export async function compareAndSet(
  tx: Tx,
  expected: Pick<InterventionRow, "id" | "status" | "version">,
  changes: RowChanges,
  now: string,
): Promise<InterventionRow | undefined> {
  const columns = Object.keys(changes) as (keyof RowChanges)[];
  // A new body gets its new preview in the same statement.
  const previewed = changes.message_body !== undefined ? { preview: preview(changes.message_body) } : {};
  const set: Record<string, unknown> = { ...changes, ...previewed };
  const assigned = [...columns, ...Object.keys(previewed)];
  const assignments = [...assigned.map((c) => `${c} = ?`), "version = version + 1", "updated_at = ?"];
  return tx.get<InterventionRow>(`UPDATE interventions SET ${assignments.join(", ")} WHERE id = ? AND status = ? AND version = ? RETURNING *`, [
    ...assigned.map((c) => set[c] ?? null),
    now,
    expected.id,
    expected.status,
    expected.version,
  ]);
}
