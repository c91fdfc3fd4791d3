/**
 * What a dispatcher may pick up, and the claims that make each piece of work
 * single-owner when several processes (or replicas) share one store.
 *
 * Every query is limited to the dispatcher's tenants: the `serve` process must
 * never deliver the REST server's 'test' data set for real (domain.md, test keys).
 *
 * Ownership rule: a process owns a `sent` row, or a webhook retraction, while
 * it holds the work's lease (store/ops/delivery-leases.ts): granted with the
 * `approved → sent` move or a claim below, renewed by the owner's heartbeat,
 * given up when the work ends. Work whose lease lapsed (or that never had one
 * and whose stamp, `updated_at` or the retraction's latest record, is older
 * than one lease time) is abandoned; the claim is a compare-and-set on the
 * lease, so two processes resuming the same abandoned work cannot both win.
 * On PostgreSQL the candidate rows are also read `FOR UPDATE SKIP LOCKED`, so
 * replicas polling at once each take different rows instead of racing for the same.
 */
import { newDeliveryId, recordDelivery, storedDeliveryId } from "./deliveries.js";
import { takeLease, unleased, type LeaseTerms } from "./delivery-leases.js";
import type { InterventionRow } from "./interventions.js";
import type { Tx } from "../sql.js";

/** How many abandoned items one tick resumes; the rest wait for the next tick. */
const RESUME_BATCH = 50;
/** A retraction whose latest record is one of these has not reached its endpoint yet. */
const UNFINISHED_RETRACTION = "('pending', 'retrying', 'unknown', 'interrupted')";

const RETRACTION_SUFFIX = ":retraction";

/** The in-flight and lease key of an intervention's retraction (its delivery uses the bare id). */
export function retractionKey(interventionId: string): string {
  return `${interventionId}${RETRACTION_SUFFIX}`;
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
 * `sent` rows nobody holds a live lease on: abandoned. A webhook that ended
 * `unconfirmed` (sent, never answered) stays `sent` but is finished: the
 * endpoint may have it, so it is never sent again.
 */
function staleSent(tx: Tx, tenants: readonly string[], staleBefore: string, now: string): Promise<InterventionRow[]> {
  return tx.all<InterventionRow>(
    `SELECT * FROM interventions i WHERE i.status = 'sent' AND ${inTenants("i.tenant_id", tenants)}
       AND ${unleased("i.id", "i.updated_at")}
       AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.intervention_id = i.id AND d.kind = 'delivery' AND d.outcome = 'unconfirmed')
     ORDER BY i.updated_at LIMIT ${RESUME_BATCH}${tx.dialect.skipLocked}`,
    [...tenants, staleBefore, now],
  );
}

interface StaleRetraction {
  row: InterventionRow;
  recordId: number;
}

/** Rolled-back webhook rows whose latest retraction record is unfinished and nobody holds a live lease on. */
async function staleRetractions(tx: Tx, tenants: readonly string[], staleBefore: string, now: string): Promise<StaleRetraction[]> {
  // Driven from rolled-back rows (indexed by tenant and status) with the latest
  // record looked up per row, so a tick never scans the whole deliveries table.
  const rows = await tx.all<InterventionRow & { retraction_record_id: number }>(
    `SELECT i.*, d.id AS retraction_record_id
     FROM interventions i
     JOIN deliveries d ON d.id = (SELECT id FROM deliveries WHERE intervention_id = i.id AND kind = 'retraction' ORDER BY id DESC LIMIT 1)
     WHERE i.status = 'rolled_back' AND i.channel = 'webhook' AND d.outcome IN ${UNFINISHED_RETRACTION}
       AND ${unleased(`i.id || '${RETRACTION_SUFFIX}'`, "d.created_at")}
       AND ${inTenants("i.tenant_id", tenants)}
     LIMIT ${RESUME_BATCH}`,
    [staleBefore, now, ...tenants],
  );
  return rows.map(({ retraction_record_id, ...row }) => ({ row, recordId: retraction_record_id }));
}

/**
 * Takes over an abandoned retraction by taking its lease and appending a
 * fresh 'pending' record, only if its latest record is still the one that was
 * found stale (the owner may have finished it since it was read).
 */
async function claimRetraction(tx: Tx, stale: StaleRetraction, terms: LeaseTerms, now: Date): Promise<boolean> {
  await tx.lock(`retraction:${stale.row.id}`);
  const latest = await tx.get<{ id: number }>("SELECT id FROM deliveries WHERE intervention_id = ? AND kind = 'retraction' ORDER BY id DESC LIMIT 1", [stale.row.id]);
  if (latest?.id !== stale.recordId) return false;
  if (!(await takeLease(tx, retractionKey(stale.row.id), terms, now))) return false;
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
 * Claims for `terms.owner`, at most a batch of each, the `sent` rows and
 * retractions nobody holds a live lease on; `busy` skips work this process
 * already holds.
 */
export async function takeAbandoned(
  tx: Tx,
  tenants: readonly string[],
  now: Date,
  terms: LeaseTerms,
  busy: (key: string) => boolean,
): Promise<{ sent: InterventionRow[]; retractions: InterventionRow[] }> {
  const staleBefore = new Date(now.getTime() - terms.ms).toISOString();
  const sent: InterventionRow[] = [];
  for (const row of await staleSent(tx, tenants, staleBefore, now.toISOString())) {
    // The lease is the claim; the row itself is left alone (no state change, so a concurrent rollback is never refused for it).
    if (!busy(row.id) && (await takeLease(tx, row.id, terms, now))) sent.push(row);
  }
  const retractions: InterventionRow[] = [];
  for (const stale of await staleRetractions(tx, tenants, staleBefore, now.toISOString())) {
    if (!busy(retractionKey(stale.row.id)) && (await claimRetraction(tx, stale, terms, now))) retractions.push(stale.row);
  }
  return { sent, retractions };
}
