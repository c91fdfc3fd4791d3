/**
 * The in-process dispatcher: sends approved interventions at or after
 * `planned_at`, through the gates domain.md fixes (kill switch holds, shadow
 * mode / opt-out / paused user suppress), and records every attempt.
 *
 * `approved → sent` commits before anything leaves, so a crash never sends a
 * message the store does not know about; for a webhook the same transaction
 * records its delivery id, which every attempt and resume sends again. A stop
 * waits (bounded by `stopGraceMs`) for POSTs and email writes in flight and
 * records their outcome, so a graceful stop leaves nothing to send twice.
 * Processes may share one SQLite file
 * (two MCP clients on the default DB, `serve` next to `api`): each dispatcher
 * touches only its own tenants, and resumes a `sent` row or unfinished webhook
 * retraction, on every tick, only once its owner's stamp is stale
 * (dispatch-claims.ts), so a live process picks up what a crashed one left.
 */
import type { Logger } from "../../log.js";
import { appendAudit } from "./audit.js";
import { getCustomer, getTenant, type Customer, type TenantSettings } from "./catalog.js";
import { deliverEmail, deliverInApp } from "./channels.js";
import { newDeliveryId, recordDelivery, storedDeliveryId, type DeliveryKind } from "./deliveries.js";
import { DispatchClaims, retractionKey } from "./dispatch-claims.js";
import { compareAndSet, findRow, type InterventionRow, type RowChanges } from "./interventions-repo.js";
import { checkOutbox, writeEmailWithRetries } from "./email-retry.js";
import { prepared, type Db } from "./store.js";
import { storeFaultOf } from "./store-faults.js";
import { webhookPayload, type WebhookPayload } from "./webhook.js";
import { boundedPolicy, postWithRetries, type RetryPolicy, type StopSignals } from "./webhook-retry.js";

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
  /** Delays between attempts to write an email to the outbox (default: the webhook delays). */
  emailRetryDelaysMs?: number[];
  /** How long `stop()` waits for POSTs and email writes in flight before abandoning them. Default 10 s. */
  stopGraceMs?: number;
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
  private readonly retry: Pick<RetryPolicy, "delaysMs" | "timeoutMs">;
  private readonly resumeAfterMs: number;
  /** `stopping` ends backoffs and lets no new attempt start; `abandon` cuts what is still in flight once the grace is over. */
  private stopping = new AbortController();
  private abandon = new AbortController();
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? (() => new Date());
    this.claims = new DispatchClaims(options.db, options.tenants);
    this.resumeAfterMs = options.resumeAfterMs ?? 120_000;
    this.retry = boundedPolicy(options.webhookRetryDelaysMs ?? [1000, 4000, 16000], options.webhookTimeoutMs ?? 5000, this.resumeAfterMs);
  }

  /** Checks the outbox, resumes abandoned work at once, then polls for due and abandoned work. */
  start(): void {
    this.stopped = false;
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    if (this.abandon.signal.aborted) this.abandon = new AbortController();
    const outboxProblem = checkOutbox(this.options.outboxDir);
    if (outboxProblem) this.options.logger.error({ outbox: this.options.outboxDir }, outboxProblem);
    this.guarded("resuming abandoned deliveries", () => this.resumeAbandoned());
    const tick = () => {
      void this.runOnce().catch((error: unknown) => this.reportFailure("dispatch tick", error));
    };
    this.timer = setInterval(tick, this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /**
   * Stops polling and backoffs at once, waits up to `stopGraceMs` for POSTs
   * and email writes in flight so their outcome is recorded, then abandons
   * what is left, which stays unfinished for a later resume.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    if (!(await this.idleWithin(this.options.stopGraceMs ?? 10_000))) {
      this.options.logger.warn({ inFlight: this.inFlight.size }, "deliveries still in flight after the stop grace period; leaving them for a resume");
      this.abandon.abort();
    }
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** True once idle, false when `ms` passed first. */
  private async idleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.idle().then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A store fault is the operator's (one line naming the file); anything else is a bug, logged with its stack. */
  private reportFailure(what: string, error: unknown): void {
    const fault = storeFaultOf(error, this.options.db.name);
    if (fault) this.options.logger.error({ code: fault.code, file: fault.file }, `${what} failed: ${fault.message}`);
    else this.options.logger.error({ err: error }, `${what} failed`);
  }

  private guarded(what: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.reportFailure(what, error);
    }
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
    const tracked = work.catch((error: unknown) => this.reportFailure(`delivery ${key}`, error)).finally(() => this.inFlight.delete(key));
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
        // The webhook's delivery id is made with the move, so the first POST already carries the id every repeat will.
        if (row.channel === "webhook" && !this.options.simulate?.(row.tenant_id)) this.queueWebhook(row, "delivery", "queued for the webhook endpoint");
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
        const end = await writeEmailWithRetries(() => deliverEmail(this.options.outboxDir, row, customer, tenant, this.now()), {
          delaysMs: this.options.emailRetryDelaysMs ?? this.retry.delaysMs,
          stopping: this.stopping.signal,
          onRetry: (attempt, detail) => this.record(row, "delivery", attempt, "retrying", detail),
        });
        if (end.outcome === "interrupted") return this.record(row, "delivery", end.attempt, end.outcome, end.detail);
        return this.finish(row, end.outcome === "written" ? "delivered" : "failed", end.attempt, end.outcome === "written" ? "outbox" : "error", end.detail);
      }
      case "webhook":
        return this.deliverWebhook(row, tenant, customer);
    }
  }

  private async deliverWebhook(row: InterventionRow, tenant: TenantSettings, customer: Customer | undefined): Promise<void> {
    if (!tenant.webhook_url || !tenant.webhook_secret) {
      return this.finish(row, "failed", 1, "error", "no webhook endpoint is configured for this tenant");
    }
    const deliveryId = this.deliveryIdFor(row, "delivery");
    const end = await postWithRetries(
      { url: tenant.webhook_url, secret: tenant.webhook_secret },
      webhookPayload(row, customer),
      deliveryId,
      this.policy(),
      (attempt, outcome, detail) => this.record(row, "delivery", attempt, outcome, detail),
      () => findRow(this.options.db, row.tenant_id, row.id)?.status === "sent",
    );
    // Interrupted by stop(): still deliverable, so it stays `sent` for a resume rather than becoming `failed`.
    // Cancelled: a rollback won; its status stands. Unconfirmed: the endpoint may have it, so it stays `sent`
    // (handed to the channel, never confirmed) and is not sent again; get_intervention says delivery_outcome "unknown".
    if (end.outcome === "interrupted" || end.outcome === "cancelled" || end.outcome === "unconfirmed") {
      return this.record(row, "delivery", end.attempt, end.outcome, end.detail);
    }
    return this.finish(row, end.outcome === "accepted" ? "delivered" : "failed", end.attempt, end.outcome, end.detail);
  }

  /** Retried like a delivery, with its own delivery id; an unfinished one is resumed once stale. */
  private async retractWebhook(row: InterventionRow): Promise<void> {
    const { db } = this.options;
    const tenant = getTenant(db, row.tenant_id)!;
    if (this.options.simulate?.(row.tenant_id)) return this.record(row, "retraction", 1, "simulated", "test data set: retraction simulated");
    if (!tenant.webhook_url || !tenant.webhook_secret) return this.record(row, "retraction", 1, "error", "no webhook endpoint is configured");
    const payload: WebhookPayload = { ...webhookPayload(row, getCustomer(db, row.tenant_id, row.user_id)), event: "intervention.retracted" };
    const deliveryId = this.deliveryIdFor(row, "retraction");
    const end = await postWithRetries({ url: tenant.webhook_url, secret: tenant.webhook_secret }, payload, deliveryId, this.policy(), (attempt, outcome, detail) =>
      this.record(row, "retraction", attempt, outcome, detail),
    );
    this.record(row, "retraction", end.attempt, end.outcome, end.detail);
  }

  /** The id stored when the delivery (or retraction) was queued; one made now for work queued before ids existed. */
  private deliveryIdFor(row: InterventionRow, kind: DeliveryKind): string {
    return storedDeliveryId(this.options.db, row.id, kind) ?? this.queueWebhook(row, kind, "resumed without a stored delivery id (queued before ids existed)");
  }

  private queueWebhook(row: InterventionRow, kind: DeliveryKind, what: string): string {
    const deliveryId = newDeliveryId();
    recordDelivery(
      this.options.db,
      { intervention_id: row.id, channel: row.channel, kind, attempt: 0, outcome: "pending", detail: `${what} (delivery ${deliveryId})`, delivery_id: deliveryId },
      this.now(),
    );
    return deliveryId;
  }

  private policy(): RetryPolicy {
    const signals: StopSignals = { stopping: this.stopping.signal, abandon: this.abandon.signal };
    return { ...this.retry, ...signals };
  }

  /** One delivery record; a webhook's carries its delivery id. */
  private record(row: InterventionRow, kind: DeliveryKind, attempt: number, outcome: string, detail: string): void {
    const deliveryId = row.channel === "webhook" ? (storedDeliveryId(this.options.db, row.id, kind) ?? null) : null;
    recordDelivery(this.options.db, { intervention_id: row.id, channel: row.channel, kind, attempt, outcome, detail, delivery_id: deliveryId }, this.now());
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
