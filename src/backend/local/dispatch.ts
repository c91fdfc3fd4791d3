/**
 * The in-process dispatcher: sends approved interventions at or after
 * `planned_at`, through the gates domain.md fixes (kill switch holds, shadow
 * mode / opt-out / paused user suppress), and records every attempt.
 *
 * `approved → sent` commits before anything leaves, so a crash never sends a
 * message the store does not know about. Processes may share one SQLite file
 * (two MCP clients on the default DB, `serve` next to `api`): each dispatcher
 * touches only its own tenants, and resumes a `sent` row or unfinished webhook
 * retraction, on every tick, only once its owner's stamp is stale
 * (dispatch-claims.ts), so a live process picks up what a crashed one left.
 */
import type { Logger } from "../../log.js";
import { appendAudit } from "./audit.js";
import { getCustomer, getTenant, type Customer, type TenantSettings } from "./catalog.js";
import { deliverEmail, deliverInApp, webhookPayload } from "./channels.js";
import { DispatchClaims, retractionKey } from "./dispatch-claims.js";
import { compareAndSet, findRow, type InterventionRow, type RowChanges } from "./interventions-repo.js";
import { recordDelivery } from "./retract.js";
import { prepared, type Db } from "./store.js";
import { boundedPolicy, postWithRetries, type RetryPolicy } from "./webhook-retry.js";

export interface DispatcherOptions {
  db: Db;
  logger: Logger;
  outboxDir: string;
  /** The only tenants read or sent for: a process sharing the file must never deliver the REST server's 'test' data set for real. */
  tenants: string[];
  /** Tenants whose deliveries are simulated (the REST server's test data set). */
  simulate?: (tenantId: string) => boolean;
  /** Delays between webhook attempts; attempts = delays + 1. */
  webhookRetryDelaysMs?: number[];
  /** Hard cap of one webhook attempt, connect included. */
  webhookTimeoutMs?: number;
  /**
   * How old an owner's stamp must be before another dispatcher takes its work
   * over. Default 120 s: far longer than the default webhook sequence (about
   * 45 s at worst: 21 s of backoff plus jitter, four 5 s attempts), so a live
   * owner is never mistaken for a dead one. The constructor refuses a retry
   * policy whose worst case exceeds half of it.
   */
  resumeAfterMs?: number;
  intervalMs?: number;
  now?: () => Date;
}

const ACTOR = "system:dispatcher";

export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly now: () => Date;
  private readonly claims: DispatchClaims;
  private readonly retry: Omit<RetryPolicy, "signal">;
  private readonly resumeAfterMs: number;
  /** Aborted by `stop()`, so a backoff or a hanging POST does not hold shutdown up. */
  private abort = new AbortController();
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? (() => new Date());
    this.claims = new DispatchClaims(options.db, options.tenants);
    this.resumeAfterMs = options.resumeAfterMs ?? 120_000;
    this.retry = boundedPolicy(options.webhookRetryDelaysMs ?? [1000, 4000, 16000], options.webhookTimeoutMs ?? 5000, this.resumeAfterMs);
  }

  /** Resumes abandoned work at once, then polls for due and abandoned work. */
  start(): void {
    this.stopped = false;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.resumeAbandoned();
    const tick = () => {
      void this.runOnce().catch((error: unknown) => this.options.logger.error({ err: error }, "dispatch tick failed"));
    };
    this.timer = setInterval(tick, this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops polling and interrupts backoffs and POSTs in flight, which stay unfinished for a later resume. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Resumes abandoned work, dispatches everything due now and waits for it all; returns how many due rows it picked up. */
  async runOnce(): Promise<number> {
    this.resumeAbandoned();
    let picked = 0;
    for (const row of this.claims.due(this.now().toISOString())) {
      if (this.stopped || this.inFlight.has(row.id)) continue;
      const sent = this.release(row);
      if (sent) {
        picked++;
        this.track(row.id, this.deliver(sent));
      }
    }
    await this.idle();
    return picked;
  }

  /** Sends a rolled-back webhook's signed retraction; the rollback's fresh 'pending' record is this process's claim. */
  retract(interventionId: string): void {
    const row = prepared(this.options.db, "SELECT * FROM interventions WHERE id = ?").get(interventionId) as InterventionRow | undefined;
    if (row?.channel !== "webhook" || !this.options.tenants.includes(row.tenant_id)) return;
    const key = retractionKey(row.id);
    if (this.stopped || this.inFlight.has(key)) return; // left pending: resumed once stale
    this.track(key, this.retractWebhook(row));
  }

  /** Takes over, bounded per tick, `sent` rows and retractions whose owner's stamp is stale. */
  private resumeAbandoned(): void {
    if (this.stopped) return;
    const { sent, retractions } = this.claims.takeAbandoned(this.now(), this.resumeAfterMs, (key) => this.inFlight.has(key));
    for (const row of sent) this.track(row.id, this.deliver(row));
    for (const row of retractions) this.track(retractionKey(row.id), this.retractWebhook(row));
  }

  private track(key: string, work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.options.logger.error({ err: error, key }, "delivery failed unexpectedly"))
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, tracked);
  }

  /**
   * Gates and `approved → sent` (or `suppressed`) in one transaction.
   * Returns the sent row, or undefined when it was held, suppressed or raced.
   */
  private release(candidate: InterventionRow): InterventionRow | undefined {
    const { db } = this.options;
    return db
      .transaction(() => {
        const row = findRow(db, candidate.tenant_id, candidate.id);
        if (!row || row.status !== "approved") return undefined;
        const tenant = getTenant(db, row.tenant_id)!;
        if (tenant.kill_switch_active) return undefined; // held, not suppressed: it goes when the switch is off
        const customer = getCustomer(db, row.tenant_id, row.user_id);
        const gate = suppressionGate(tenant, customer);
        const now = this.now().toISOString();
        if (gate) {
          this.move(row, { status: "suppressed", suppress_reason: gate }, "suppressed", { reason: gate });
          return undefined;
        }
        this.move(row, { status: "sent", sent_at: now }, "sent", {});
        return findRow(db, row.tenant_id, row.id);
      })
      .immediate();
  }

  private async deliver(row: InterventionRow): Promise<void> {
    const { db } = this.options;
    const tenant = getTenant(db, row.tenant_id)!;
    const customer = getCustomer(db, row.tenant_id, row.user_id);
    if (this.options.simulate?.(row.tenant_id)) {
      return this.finish(row, "delivered", 1, "simulated", "test data set: delivery simulated, nothing left this machine");
    }
    switch (row.channel) {
      case "in_app":
        return this.finishWith(row, "delivered", 1, "inbox", "placed in the user's in-app inbox", () =>
          deliverInApp(db, row, this.now()),
        );
      case "email": {
        if (!customer) return this.finish(row, "failed", 1, "error", "the customer no longer exists");
        try {
          const path = deliverEmail(this.options.outboxDir, row, customer, tenant, this.now());
          return this.finish(row, "delivered", 1, "outbox", `written to ${path}`);
        } catch (error) {
          return this.finish(row, "failed", 1, "error", `could not write to the outbox: ${(error as Error).message}`);
        }
      }
      case "webhook":
        return this.deliverWebhook(row, tenant, customer);
    }
  }

  private async deliverWebhook(row: InterventionRow, tenant: TenantSettings, customer: Customer | undefined): Promise<void> {
    if (!tenant.webhook_url || !tenant.webhook_secret) {
      return this.finish(row, "failed", 1, "error", "no webhook endpoint is configured for this tenant");
    }
    const target = { url: tenant.webhook_url, secret: tenant.webhook_secret };
    const end = await postWithRetries(
      target,
      webhookPayload(row, customer),
      this.policy(),
      (attempt, detail) => this.record(row, "delivery", attempt, "retrying", detail),
      () => findRow(this.options.db, row.tenant_id, row.id)?.status === "sent",
    );
    // Interrupted by stop(): still deliverable, so it stays `sent` for a resume rather than becoming `failed`.
    // Cancelled: a rollback won; its status stands.
    if (end.outcome === "interrupted" || end.outcome === "cancelled") return this.record(row, "delivery", end.attempt, end.outcome, end.detail);
    return this.finish(row, end.outcome === "accepted" ? "delivered" : "failed", end.attempt, end.outcome, end.detail);
  }

  /** Retried like a delivery; an unfinished one ('retrying', 'interrupted') is resumed once stale. */
  private async retractWebhook(row: InterventionRow): Promise<void> {
    const { db } = this.options;
    const tenant = getTenant(db, row.tenant_id)!;
    if (this.options.simulate?.(row.tenant_id)) return this.record(row, "retraction", 1, "simulated", "test data set: retraction simulated");
    if (!tenant.webhook_url || !tenant.webhook_secret) return this.record(row, "retraction", 1, "error", "no webhook endpoint is configured");
    const payload = { ...webhookPayload(row, getCustomer(db, row.tenant_id, row.user_id)), event: "intervention.retracted" };
    const target = { url: tenant.webhook_url, secret: tenant.webhook_secret };
    const end = await postWithRetries(target, payload, this.policy(), (attempt, detail) => this.record(row, "retraction", attempt, "retrying", detail));
    this.record(row, "retraction", end.attempt, end.outcome, end.detail);
  }

  private policy(): RetryPolicy {
    return { ...this.retry, signal: this.abort.signal };
  }

  private record(row: InterventionRow, kind: "delivery" | "retraction", attempt: number, outcome: string, detail: string): void {
    recordDelivery(this.options.db, { intervention_id: row.id, channel: row.channel, kind, attempt, outcome, detail }, this.now());
  }

  private finishWith(row: InterventionRow, status: "delivered" | "failed", attempt: number, outcome: string, detail: string, sideEffect: () => void): void {
    this.options.db.transaction(() => {
      sideEffect();
      this.finish(row, status, attempt, outcome, detail);
    })();
  }

  /**
   * Records the attempt and moves `sent → delivered | failed`, in one transaction.
   * The attempt is always recorded: what the channel did happened, even when a
   * rollback won the race while it was busy (the endpoint may have accepted a
   * message that is now retracted, and the deliveries must show both). Only the
   * status move needs the row to be still `sent`; a rolled-back row stays so.
   */
  private finish(row: InterventionRow, status: "delivered" | "failed", attempt: number, outcome: string, detail: string): void {
    const { db } = this.options;
    db.transaction(() => {
      this.record(row, "delivery", attempt, outcome, detail);
      const current = findRow(db, row.tenant_id, row.id);
      if (!current || current.status !== "sent") return;
      const changes: RowChanges = status === "delivered" ? { status, delivered_at: this.now().toISOString() } : { status };
      this.move(current, changes, status, { detail });
    })();
  }

  private move(row: InterventionRow, changes: RowChanges, event: string, detail: Record<string, unknown>): void {
    if (!compareAndSet(this.options.db, row, changes, this.now().toISOString())) return;
    appendAudit(this.options.db, { tenant_id: row.tenant_id, event, intervention_id: row.id, actor: ACTOR, detail: { from: row.status, ...detail } });
  }
}

function suppressionGate(tenant: TenantSettings, customer: Customer | undefined): string | undefined {
  if (tenant.shadow_mode) return "shadow_mode";
  if (!customer) return "unknown_user";
  if (customer.opted_out) return "opted_out";
  if (customer.paused) return "user_paused";
  return undefined;
}
