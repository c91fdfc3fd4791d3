/**
 * What a dispatcher may pick up, and the claims that make each piece of work
 * single-owner when several processes (or replicas) share one store.
 *
 * Every query is limited to the dispatcher's tenants: the `serve` process must
 * never deliver the REST server's 'test' data set for real (domain.md, test keys).
 *
 * Ownership rule: a process owns a `sent` row, or a webhook retraction, from the
 * moment it stamps it (the `approved → sent` compare-and-set or a claim below
 * writes `updated_at`; a retraction's latest record is its stamp) until it
 * finishes. A stamp older than the resume window therefore means the owner
 * died, because the dispatcher only accepts retry policies that finish well
 * inside that window; the claim is a compare-and-set on the stamp, so two
 * processes resuming the same abandoned work cannot both win. On PostgreSQL
 * the candidate rows are also read `FOR UPDATE SKIP LOCKED`, so replicas
 * polling at once each take different rows instead of racing for the same.
 */
import { newDeliveryId, recordDelivery, storedDeliveryId } from "./deliveries.js";
import type { InterventionRow } from "./interventions.js";
import type { Tx } from "../sql.js";

/** How many abandoned items one tick resumes; the rest wait for the next tick. */
const RESUME_BATCH = 50;
/** A retraction whose latest record is one of these has not reached its endpoint yet. */
const UNFINISHED_RETRACTION = "('pending', 'retrying', 'unknown', 'interrupted')";

/** The in-flight key of an intervention's retraction (its delivery uses the bare id). */
export function retractionKey(interventionId: string): string {
  return `${interventionId}:retraction`;
}

const inTenants = (column: string, tenants: readonly string[]) => `${column} IN (${tenants.map(() => "?").join(", ")})`;

/** Approved rows whose time has come. */
export function dueRows(tx: Tx, tenants: readonly string[], now: string): Promise<InterventionRow[]> {
  return tx.all<InterventionRow>(
    `SELECT * FROM interventions WHERE status = 'approved' AND planned_at <= ? AND ${inTenants("tenant_id", tenants)} ORDER BY planned_at LIMIT 100`,
    [now, ...tenants],
  );
}

/**
 * `sent` rows whose owner stamped them before `staleBefore`: abandoned. A
 * webhook that ended `unconfirmed` (sent, never answered) stays `sent` but is
 * finished: the endpoint may have it, so it is never sent again.
 */
function staleSent(tx: Tx, tenants: readonly string[], staleBefore: string): Promise<InterventionRow[]> {
  return tx.all<InterventionRow>(
    `SELECT * FROM interventions i WHERE i.status = 'sent' AND i.updated_at < ? AND ${inTenants("i.tenant_id", tenants)}
       AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.intervention_id = i.id AND d.kind = 'delivery' AND d.outcome = 'unconfirmed')
     ORDER BY i.updated_at LIMIT ${RESUME_BATCH}${tx.dialect.skipLocked}`,
    [staleBefore, ...tenants],
  );
}

/**
 * Takes over an abandoned `sent` row by re-stamping it, only if nobody did
 * since it was read. The version is left alone: this is no state change, and
 * a concurrent rollback must not be refused because of it.
 */
async function claimSent(tx: Tx, row: InterventionRow, now: string): Promise<InterventionRow | undefined> {
  const claimed = await tx.run("UPDATE interventions SET updated_at = ? WHERE id = ? AND status = 'sent' AND updated_at = ?", [now, row.id, row.updated_at]);
  return claimed.changes === 1 ? { ...row, updated_at: now } : undefined;
}

interface StaleRetraction {
  row: InterventionRow;
  recordId: number;
}

/** Rolled-back webhook rows whose latest retraction record is unfinished and older than `staleBefore`. */
async function staleRetractions(tx: Tx, tenants: readonly string[], staleBefore: string): Promise<StaleRetraction[]> {
  // Driven from rolled-back rows (indexed by tenant and status) with the latest
  // record looked up per row, so a tick never scans the whole deliveries table.
  const rows = await tx.all<InterventionRow & { retraction_record_id: number }>(
    `SELECT i.*, d.id AS retraction_record_id
     FROM interventions i
     JOIN deliveries d ON d.id = (SELECT id FROM deliveries WHERE intervention_id = i.id AND kind = 'retraction' ORDER BY id DESC LIMIT 1)
     WHERE i.status = 'rolled_back' AND i.channel = 'webhook' AND d.outcome IN ${UNFINISHED_RETRACTION} AND d.created_at < ?
       AND ${inTenants("i.tenant_id", tenants)}
     LIMIT ${RESUME_BATCH}`,
    [staleBefore, ...tenants],
  );
  return rows.map(({ retraction_record_id, ...row }) => ({ row, recordId: retraction_record_id }));
}

/**
 * Takes over an abandoned retraction by appending a fresh 'pending' record,
 * only if its latest record is still the one that was found stale.
 */
async function claimRetraction(tx: Tx, stale: StaleRetraction, now: Date): Promise<boolean> {
  await tx.lock(`retraction:${stale.row.id}`);
  const latest = await tx.get<{ id: number }>("SELECT id FROM deliveries WHERE intervention_id = ? AND kind = 'retraction' ORDER BY id DESC LIMIT 1", [stale.row.id]);
  if (latest?.id !== stale.recordId) return false;
  await recordDelivery(
    tx,
    {
      intervention_id: stale.row.id,
      channel: stale.row.channel,
      kind: "retraction",
      attempt: 1,
      outcome: "pending",
      detail: "resumed: the process sending this retraction stopped before it finished",
      // The retraction's id, so the endpoint can tell the resumed one from a new message
      // (one made now for a retraction queued before ids existed).
      delivery_id: (await storedDeliveryId(tx, stale.row.id, "retraction")) ?? newDeliveryId(),
    },
    now,
  );
  return true;
}

/**
 * Claims, at most a batch of each, the `sent` rows and retractions whose stamp
 * is older than `resumeAfterMs`; `busy` skips work this process already holds.
 */
export async function takeAbandoned(
  tx: Tx,
  tenants: readonly string[],
  now: Date,
  resumeAfterMs: number,
  busy: (key: string) => boolean,
): Promise<{ sent: InterventionRow[]; retractions: InterventionRow[] }> {
  const staleBefore = new Date(now.getTime() - resumeAfterMs).toISOString();
  const sent: InterventionRow[] = [];
  for (const row of await staleSent(tx, tenants, staleBefore)) {
    if (busy(row.id)) continue;
    const claimed = await claimSent(tx, row, now.toISOString());
    if (claimed) sent.push(claimed);
  }
  const retractions: InterventionRow[] = [];
  for (const stale of await staleRetractions(tx, tenants, staleBefore)) {
    if (!busy(retractionKey(stale.row.id)) && (await claimRetraction(tx, stale, now))) retractions.push(stale.row);
  }
  return { sent, retractions };
}
