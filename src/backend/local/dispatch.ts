/**
 * The in-process dispatcher: sends approved interventions at or after
 * `planned_at`, through the gates domain.md fixes (kill switch holds, shadow
 * mode / opt-out / paused user suppress), and records every attempt.
 *
 * `approved → sent` commits before anything leaves, so a crash never sends a
 * message the store does not know about; a row left in `sent` is resumed on
 * the next start (channels are idempotent per intervention).
 */
import type { Logger } from "../../log.js";
import { appendAudit } from "./audit.js";
import { getCustomer, getTenant, type Customer, type TenantSettings } from "./catalog.js";
import { deliverEmail, deliverInApp, postWebhook, webhookPayload } from "./channels.js";
import { compareAndSet, findRow, type InterventionRow, type RowChanges } from "./interventions-repo.js";
import { recordDelivery } from "./retract.js";
import { prepared, type Db } from "./store.js";

export interface DispatcherOptions {
  db: Db;
  logger: Logger;
  outboxDir: string;
  /** Tenants whose deliveries are simulated (the REST server's test data set). */
  simulate?: (tenantId: string) => boolean;
  /** Delays between webhook attempts; attempts = delays + 1. */
  webhookRetryDelaysMs?: number[];
  webhookTimeoutMs?: number;
  intervalMs?: number;
  now?: () => Date;
}

const ACTOR = "system:dispatcher";

export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly now: () => Date;
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Resumes deliveries a previous process left in `sent`, then polls for due ones. */
  start(): void {
    this.stopped = false;
    for (const row of this.rowsIn("sent")) this.track(row.id, this.deliver(row));
    const tick = () => {
      void this.runOnce().catch((error: unknown) => this.options.logger.error({ err: error }, "dispatch tick failed"));
    };
    this.timer = setInterval(tick, this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops polling and waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Dispatches everything due now and waits for it; returns how many it picked up. */
  async runOnce(): Promise<number> {
    const due = prepared(this.options.db, "SELECT * FROM interventions WHERE status = 'approved' AND planned_at <= ? ORDER BY planned_at LIMIT 100")
      .all(this.now().toISOString()) as InterventionRow[];
    let picked = 0;
    for (const row of due) {
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

  /** Sends the signed retraction event of a rolled-back webhook intervention. */
  retract(interventionId: string): void {
    const row = prepared(this.options.db, "SELECT * FROM interventions WHERE id = ?").get(interventionId) as InterventionRow | undefined;
    if (row?.channel !== "webhook") return;
    this.track(`${row.id}:retraction`, this.retractWebhook(row));
  }

  private rowsIn(status: string): InterventionRow[] {
    return prepared(this.options.db, "SELECT * FROM interventions WHERE status = ?").all(status) as InterventionRow[];
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
    const delays = this.options.webhookRetryDelaysMs ?? [1000, 4000, 16000];
    for (let attempt = 1; ; attempt++) {
      const outcome = await postWebhook(tenant.webhook_url, tenant.webhook_secret, webhookPayload(row, customer), this.options.webhookTimeoutMs ?? 5000);
      if (outcome.ok) return this.finish(row, "delivered", attempt, "accepted", `endpoint answered HTTP ${outcome.status}`);
      const delay = delays[attempt - 1];
      if (!outcome.retryable || delay === undefined || this.stopped) {
        return this.finish(row, "failed", attempt, "error", outcome.detail);
      }
      recordDelivery(this.options.db, { intervention_id: row.id, channel: row.channel, kind: "delivery", attempt, outcome: "retrying", detail: outcome.detail }, this.now());
      await sleep(delay * (0.8 + Math.random() * 0.4));
    }
  }

  private async retractWebhook(row: InterventionRow): Promise<void> {
    const { db } = this.options;
    const tenant = getTenant(db, row.tenant_id)!;
    const record = (outcome: string, detail: string) =>
      recordDelivery(db, { intervention_id: row.id, channel: row.channel, kind: "retraction", attempt: 1, outcome, detail }, this.now());
    if (this.options.simulate?.(row.tenant_id)) return record("simulated", "test data set: retraction simulated");
    if (!tenant.webhook_url || !tenant.webhook_secret) return record("error", "no webhook endpoint is configured");
    const payload = { ...webhookPayload(row, getCustomer(db, row.tenant_id, row.user_id)), event: "intervention.retracted" };
    const outcome = await postWebhook(tenant.webhook_url, tenant.webhook_secret, payload, this.options.webhookTimeoutMs ?? 5000);
    record(outcome.ok ? "accepted" : "error", outcome.ok ? `endpoint answered HTTP ${outcome.status}` : outcome.detail);
  }

  private finishWith(
    row: InterventionRow,
    status: "delivered" | "failed",
    attempt: number,
    outcome: string,
    detail: string,
    sideEffect: () => void,
  ): void {
    this.options.db.transaction(() => {
      sideEffect();
      this.finish(row, status, attempt, outcome, detail);
    })();
  }

  /** `sent → delivered | failed`, with the attempt recorded, in one transaction. */
  private finish(row: InterventionRow, status: "delivered" | "failed", attempt: number, outcome: string, detail: string): void {
    const { db } = this.options;
    db.transaction(() => {
      const current = findRow(db, row.tenant_id, row.id);
      // A rollback may have won the race while the channel was busy; it stays rolled back.
      if (!current || current.status !== "sent") return;
      recordDelivery(db, { intervention_id: row.id, channel: row.channel, kind: "delivery", attempt, outcome, detail }, this.now());
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
