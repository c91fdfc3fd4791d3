/**
 * What the dispatcher may pick up, and the claims that make each piece of work
 * single-owner when several processes share one SQLite file.
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
 * processes resuming the same abandoned work cannot both win.
 */
import { newDeliveryId, recordDelivery, storedDeliveryId } from "./deliveries.js";
import type { InterventionRow } from "./interventions-repo.js";
import { prepared, type Db } from "./store.js";

/** How many abandoned items one tick resumes; the rest wait for the next tick. */
const RESUME_BATCH = 50;
/** A retraction whose latest record is one of these has not reached its endpoint yet. */
const UNFINISHED_RETRACTION = "('pending', 'retrying', 'unknown', 'interrupted')";

/** The in-flight key of an intervention's retraction (its delivery uses the bare id). */
export function retractionKey(interventionId: string): string {
  return `${interventionId}:retraction`;
}

export interface StaleRetraction {
  row: InterventionRow;
  recordId: number;
}

export class DispatchClaims {
  /** `<column> IN (?, ...)`, one placeholder per tenant, bound after the other parameters. */
  private readonly inTenants: (column: string) => string;

  constructor(
    private readonly db: Db,
    private readonly tenants: readonly string[],
  ) {
    if (tenants.length === 0) throw new Error("a dispatcher needs at least one tenant");
    const placeholders = tenants.map(() => "?").join(", ");
    this.inTenants = (column) => `${column} IN (${placeholders})`;
  }

  /**
   * Claims, at most a batch of each per call, the `sent` rows and retractions
   * whose stamp is older than `resumeAfterMs`; `busy` skips work this process
   * already holds.
   */
  takeAbandoned(now: Date, resumeAfterMs: number, busy: (key: string) => boolean): { sent: InterventionRow[]; retractions: InterventionRow[] } {
    const staleBefore = new Date(now.getTime() - resumeAfterMs).toISOString();
    const sent = this.staleSent(staleBefore)
      .filter((row) => !busy(row.id))
      .map((row) => this.claimSent(row, now.toISOString()))
      .filter((row) => row !== undefined);
    const retractions = this.staleRetractions(staleBefore)
      .filter((stale) => !busy(retractionKey(stale.row.id)) && this.claimRetraction(stale, now))
      .map((stale) => stale.row);
    return { sent, retractions };
  }

  /** Approved rows whose time has come. */
  due(now: string): InterventionRow[] {
    return prepared(this.db, `SELECT * FROM interventions WHERE status = 'approved' AND planned_at <= ? AND ${this.inTenants("tenant_id")} ORDER BY planned_at LIMIT 100`)
      .all(now, ...this.tenants) as InterventionRow[];
  }

  /**
   * `sent` rows whose owner stamped them before `staleBefore`: abandoned. A
   * webhook that ended `unconfirmed` (sent, never answered) stays `sent` but is
   * finished: the endpoint may have it, so it is never sent again.
   */
  staleSent(staleBefore: string): InterventionRow[] {
    return prepared(
      this.db,
      `SELECT * FROM interventions i WHERE i.status = 'sent' AND i.updated_at < ? AND ${this.inTenants("i.tenant_id")}
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.intervention_id = i.id AND d.kind = 'delivery' AND d.outcome = 'unconfirmed')
       ORDER BY i.updated_at LIMIT ${RESUME_BATCH}`,
    ).all(staleBefore, ...this.tenants) as InterventionRow[];
  }

  /**
   * Takes over an abandoned `sent` row by re-stamping it, only if nobody did
   * since it was read. The version is left alone: this is no state change, and
   * a concurrent rollback must not be refused because of it.
   */
  claimSent(row: InterventionRow, now: string): InterventionRow | undefined {
    const claimed = prepared(this.db, "UPDATE interventions SET updated_at = ? WHERE id = ? AND status = 'sent' AND updated_at = ?").run(
      now,
      row.id,
      row.updated_at,
    );
    return claimed.changes === 1 ? { ...row, updated_at: now } : undefined;
  }

  /** Rolled-back webhook rows whose latest retraction record is unfinished and older than `staleBefore`. */
  staleRetractions(staleBefore: string): StaleRetraction[] {
    // Driven from rolled-back rows (indexed by tenant and status) with the latest
    // record looked up per row, so a tick never scans the whole deliveries table.
    const rows = prepared(
      this.db,
      `SELECT i.*, d.id AS retraction_record_id
       FROM interventions i
       JOIN deliveries d ON d.id = (SELECT id FROM deliveries WHERE intervention_id = i.id AND kind = 'retraction' ORDER BY id DESC LIMIT 1)
       WHERE i.status = 'rolled_back' AND i.channel = 'webhook' AND d.outcome IN ${UNFINISHED_RETRACTION} AND d.created_at < ?
         AND ${this.inTenants("i.tenant_id")}
       LIMIT ${RESUME_BATCH}`,
    ).all(staleBefore, ...this.tenants) as (InterventionRow & { retraction_record_id: number })[];
    return rows.map(({ retraction_record_id, ...row }) => ({ row, recordId: retraction_record_id }));
  }

  /**
   * Takes over an abandoned retraction by appending a fresh 'pending' record,
   * only if its latest record is still the one that was found stale.
   */
  claimRetraction(stale: StaleRetraction, now: Date): boolean {
    return this.db
      .transaction(() => {
        const latest = prepared(this.db, "SELECT id FROM deliveries WHERE intervention_id = ? AND kind = 'retraction' ORDER BY id DESC LIMIT 1").get(
          stale.row.id,
        ) as { id: number } | undefined;
        if (latest?.id !== stale.recordId) return false;
        recordDelivery(
          this.db,
          {
            intervention_id: stale.row.id,
            channel: stale.row.channel,
            kind: "retraction",
            attempt: 1,
            outcome: "pending",
            detail: "resumed: the process sending this retraction stopped before it finished",
            // The retraction's id, so the endpoint can tell the resumed one from a new message
            // (one made now for a retraction queued before ids existed).
            delivery_id: storedDeliveryId(this.db, stale.row.id, "retraction") ?? newDeliveryId(),
          },
          now,
        );
        return true;
      })
      .immediate();
  }
}
