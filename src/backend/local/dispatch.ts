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
 * Processes may share one store (two MCP clients on the default file, `serve`
 * next to `api`, replicas on one PostgreSQL): each dispatcher touches only its
 * own tenants, claims due rows so only one sends each, holds a lease on every
 * piece of work it has in flight and renews it on a heartbeat, and on every
 * tick takes over a `sent` row or unfinished webhook retraction whose lease
 * lapsed (store/ops/dispatch-claims.ts): a live process picks up what a
 * crashed one left within one lease time and one poll, and sends it with the
 * same delivery id. Every change goes through the store port
 * (store/ops/dispatch.ts); what happens outside it (files, POSTs) happens
 * between those atomic steps.
 */
import type { Customer, TenantSettings } from "../../domain/catalog.js";
import { StoreUnavailableError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { retractionKey, type DeliveryKind, type Finish, type InterventionRow, type LeaseTerms, type Store } from "../../store/index.js";
import { deliverEmail } from "./channels.js";
import { checkOutbox, writeEmailWithRetries } from "./email-retry.js";
import { webhookPayload, type WebhookPayload } from "./webhook.js";
import { postWithRetries, type RetryPolicy, type StopSignals } from "./webhook-retry.js";

export interface DispatcherOptions {
  store: Store;
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
   * How long a lease on work in flight lasts (RETIVO_DELIVERY_LEASE_SECONDS);
   * the heartbeat renews it every third of that, so a live owner keeps it
   * through any retry sequence, and a dead owner's work is taken over once it
   * lapses. Default 30 s.
   */
  leaseMs?: number;
  /** The lease holder's name, unique per dispatcher; default host, pid and a random suffix. */
  owner?: string;
  intervalMs?: number;
  now?: () => Date;
}

export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly now: () => Date;
  private readonly store: Store;
  private readonly retry: Pick<RetryPolicy, "delaysMs" | "timeoutMs">;
  private readonly lease: LeaseTerms;
  private heartbeat: NodeJS.Timeout | undefined;
  /** `stopping` ends backoffs and lets no new attempt start; `abandon` cuts what is still in flight once the grace is over. */
  private stopping = new AbortController();
  private abandon = new AbortController();
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? (() => new Date());
    this.store = options.store;
    if (options.tenants.length === 0) throw new Error("a dispatcher needs at least one tenant");
    this.lease = { owner: options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, ms: options.leaseMs ?? 30_000 };
    this.retry = { delaysMs: options.webhookRetryDelaysMs ?? [1000, 4000, 16000], timeoutMs: options.webhookTimeoutMs ?? 5000 };
  }

  /** Checks the outbox, resumes abandoned work at once, then polls for due and abandoned work. */
  start(): void {
    this.stopped = false;
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    if (this.abandon.signal.aborted) this.abandon = new AbortController();
    const outboxProblem = checkOutbox(this.options.outboxDir);
    if (outboxProblem) this.options.logger.error({ outbox: this.options.outboxDir }, outboxProblem);
    void this.resumeAbandoned().catch((error: unknown) => this.reportFailure("resuming abandoned deliveries", error));
    const tick = () => {
      void this.runOnce().catch((error: unknown) => this.reportFailure("dispatch tick", error));
    };
    this.timer = setInterval(tick, this.options.intervalMs ?? 1000);
    this.timer.unref();
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(this.lease.ms / 3)));
    this.heartbeat.unref();
  }

  /**
   * Extends the leases on everything in flight. A renewal that fails (the
   * store is away) is retried on the next beat; a lease that lapses meanwhile
   * may be taken over, and the taker sends the same delivery id.
   */
  private async renewLeases(): Promise<void> {
    const keys = [...this.inFlight.keys()];
    if (keys.length === 0) return;
    try {
      const held = await this.store.dispatch.renewLeases(keys, this.lease, this.now());
      if (held < keys.length) this.options.logger.warn({ inFlight: keys.length, held }, "some delivery leases lapsed before their renewal; another process may take that work over");
    } catch (error) {
      this.reportFailure("renewing delivery leases", error);
    }
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
    // Beats until the last lease is given up: work finishing during the grace must not lapse meanwhile.
    if (this.heartbeat) clearInterval(this.heartbeat);
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

  /** A store fault is the operator's (one line naming the store); anything else is a bug, logged with its stack. */
  private reportFailure(what: string, error: unknown): void {
    if (error instanceof StoreUnavailableError) this.options.logger.error({ code: error.code }, `${what} failed: ${error.message}`);
    else this.options.logger.error({ err: error }, `${what} failed`);
  }

  /** Resumes abandoned work, dispatches everything due now and waits for it all; returns how many due rows it picked up. */
  async runOnce(): Promise<number> {
    await this.resumeAbandoned();
    let picked = 0;
    for (const row of await this.store.dispatch.due(this.options.tenants, this.now())) {
      if (this.stopped || this.inFlight.has(row.id)) continue;
      const sent = await this.store.dispatch.release(row, this.simulated(row), this.lease, this.now());
      if (sent) {
        picked++;
        this.track(row.id, this.deliver(sent));
      }
    }
    await this.idle();
    return picked;
  }

  /** Sends a rolled-back webhook's signed retraction, under this process's lease on it. */
  retract(interventionId: string): void {
    const key = retractionKey(interventionId);
    if (this.stopped || this.inFlight.has(key)) return; // left pending: taken over once a lease time has passed
    this.track(
      key,
      this.store.interventions.getAny(interventionId).then(async (row) => {
        if (row?.channel !== "webhook" || !this.options.tenants.includes(row.tenant_id)) return;
        if (await this.store.dispatch.lease(key, this.lease, this.now())) return this.retractWebhook(row);
      }),
    );
  }

  /** Takes over, bounded per tick, `sent` rows and retractions whose lease lapsed. */
  private async resumeAbandoned(): Promise<void> {
    if (this.stopped) return;
    const { sent, retractions } = await this.store.dispatch.takeAbandoned(this.options.tenants, this.now(), this.lease, (key) => this.inFlight.has(key));
    for (const row of sent) this.track(row.id, this.deliver(row));
    for (const row of retractions) this.track(retractionKey(row.id), this.retractWebhook(row));
  }

  private simulated(row: InterventionRow): boolean {
    return this.options.simulate?.(row.tenant_id) === true;
  }

  /** Runs `work` as in flight under `key`, then gives its lease up (a failure to do so only lets the lease lapse). */
  private track(key: string, work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.reportFailure(`delivery ${key}`, error))
      .then(() => this.store.dispatch.releaseLease(key, this.lease.owner))
      .catch((error: unknown) => this.reportFailure(`releasing the lease on ${key}`, error))
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, tracked);
  }

  private async deliver(row: InterventionRow): Promise<void> {
    if (this.simulated(row)) return this.finish(row, { status: "delivered", attempt: 1, outcome: "simulated", detail: "test data set: delivery simulated, nothing left this machine" });
    const tenant = (await this.store.catalog.tenant(row.tenant_id))!;
    const customer = await this.store.catalog.customer(row.tenant_id, row.user_id);
    switch (row.channel) {
      case "in_app":
        return this.finish(row, { status: "delivered", attempt: 1, outcome: "inbox", detail: "placed in the user's in-app inbox", inbox: true });
      case "email": {
        if (!customer) return this.finish(row, { status: "failed", attempt: 1, outcome: "error", detail: "the customer no longer exists" });
        const end = await writeEmailWithRetries(() => deliverEmail(this.options.outboxDir, row, customer, tenant, this.now()), {
          delaysMs: this.options.emailRetryDelaysMs ?? this.retry.delaysMs,
          stopping: this.stopping.signal,
          onRetry: (attempt, detail) => this.record(row, "delivery", attempt, "retrying", detail),
        });
        if (end.outcome === "interrupted") return this.record(row, "delivery", end.attempt, end.outcome, end.detail);
        const written = end.outcome === "written";
        return this.finish(row, { status: written ? "delivered" : "failed", attempt: end.attempt, outcome: written ? "outbox" : "error", detail: end.detail });
      }
      case "webhook":
        return this.deliverWebhook(row, tenant, customer);
    }
  }

  private async deliverWebhook(row: InterventionRow, tenant: TenantSettings, customer: Customer | undefined): Promise<void> {
    if (!tenant.webhook_url || !tenant.webhook_secret) {
      return this.finish(row, { status: "failed", attempt: 1, outcome: "error", detail: "no webhook endpoint is configured for this tenant" });
    }
    const deliveryId = await this.store.dispatch.deliveryIdFor(row, "delivery", this.now());
    const end = await postWithRetries(
      { url: tenant.webhook_url, secret: tenant.webhook_secret },
      webhookPayload(row, customer),
      deliveryId,
      this.policy(),
      (attempt, outcome, detail) => this.record(row, "delivery", attempt, outcome, detail),
      async () => (await this.store.interventions.get(row.tenant_id, row.id))?.status === "sent",
    );
    // Interrupted by stop(): still deliverable, so it stays `sent` for a resume rather than becoming `failed`.
    // Cancelled: a rollback won; its status stands. Unconfirmed: the endpoint may have it, so it stays `sent`
    // (handed to the channel, never confirmed) and is not sent again; get_intervention says delivery_outcome "unknown".
    if (end.outcome === "interrupted" || end.outcome === "cancelled" || end.outcome === "unconfirmed") {
      return this.record(row, "delivery", end.attempt, end.outcome, end.detail);
    }
    return this.finish(row, { status: end.outcome === "accepted" ? "delivered" : "failed", attempt: end.attempt, outcome: end.outcome, detail: end.detail });
  }

  /** Retried like a delivery, with its own delivery id; an unfinished one is taken over once its lease lapses. */
  private async retractWebhook(row: InterventionRow): Promise<void> {
    if (this.simulated(row)) return this.record(row, "retraction", 1, "simulated", "test data set: retraction simulated");
    const tenant = (await this.store.catalog.tenant(row.tenant_id))!;
    if (!tenant.webhook_url || !tenant.webhook_secret) return this.record(row, "retraction", 1, "error", "no webhook endpoint is configured");
    const customer = await this.store.catalog.customer(row.tenant_id, row.user_id);
    const payload: WebhookPayload = { ...webhookPayload(row, customer), event: "intervention.retracted" };
    const deliveryId = await this.store.dispatch.deliveryIdFor(row, "retraction", this.now());
    const end = await postWithRetries({ url: tenant.webhook_url, secret: tenant.webhook_secret }, payload, deliveryId, this.policy(), (attempt, outcome, detail) =>
      this.record(row, "retraction", attempt, outcome, detail),
    );
    await this.record(row, "retraction", end.attempt, end.outcome, end.detail);
  }

  private policy(): RetryPolicy {
    const signals: StopSignals = { stopping: this.stopping.signal, abandon: this.abandon.signal };
    return { ...this.retry, ...signals };
  }

  /** One delivery record; a webhook's carries its delivery id. */
  private record(row: InterventionRow, kind: DeliveryKind, attempt: number, outcome: string, detail: string): Promise<void> {
    return this.store.dispatch.record(row, kind, attempt, outcome, detail, this.now());
  }

  private finish(row: InterventionRow, finish: Finish): Promise<void> {
    return this.store.dispatch.finish(row, finish, this.now());
  }
}
