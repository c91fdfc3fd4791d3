/**
 * The dispatcher's steps that change the store, each one transaction: the
 * gates and `approved → sent` (or `suppressed`) before anything leaves, a
 * webhook's delivery id made in that same transaction, and recording what a
 * channel did with the move to `delivered` or `failed`. The sending itself
 * (files, POSTs, backoffs) happens between these, outside any transaction
 * (backend/local/dispatch.ts).
 */
import type { Customer, TenantSettings } from "../../domain/catalog.js";
import { appendAudit } from "./audit.js";
import { getCustomer, getTenant } from "./catalog.js";
import { newDeliveryId, placeInInbox, recordDelivery, storedDeliveryId, type DeliveryKind } from "./deliveries.js";
import { compareAndSet, type RowChanges } from "./compare-and-set.js";
import { takeLease, type LeaseTerms } from "./delivery-leases.js";
import { findRow, type InterventionRow } from "./interventions.js";
import type { Tx } from "../sql.js";

const ACTOR = "system:dispatcher";

/** Shadow mode, an unknown, opted-out or paused user: recorded as suppressed, never sent. */
export function suppressionGate(tenant: TenantSettings, customer: Customer | undefined): string | undefined {
  if (tenant.shadow_mode) return "shadow_mode";
  if (!customer) return "unknown_user";
  if (customer.opted_out) return "opted_out";
  if (customer.paused) return "user_paused";
  return undefined;
}

async function move(tx: Tx, row: InterventionRow, changes: RowChanges, event: string, detail: Record<string, unknown>, now: Date): Promise<boolean> {
  if (!(await compareAndSet(tx, row, changes, now.toISOString()))) return false;
  await appendAudit(tx, { tenant_id: row.tenant_id, event, intervention_id: row.id, actor: ACTOR, detail: { from: row.status, ...detail } }, now);
  return true;
}

/** Queues a webhook delivery (or retraction) with a fresh delivery id, which every attempt and resume sends again. */
export async function queueWebhook(tx: Tx, row: Pick<InterventionRow, "id" | "channel">, kind: DeliveryKind, what: string, now: Date): Promise<string> {
  const deliveryId = newDeliveryId();
  await recordDelivery(
    tx,
    { intervention_id: row.id, channel: row.channel, kind, attempt: 0, outcome: "pending", detail: `${what} (delivery ${deliveryId})`, delivery_id: deliveryId },
    now,
  );
  return deliveryId;
}

/**
 * Gates and `approved → sent` (or `suppressed`) in one transaction, the sent
 * row's lease granted to `terms.owner` with the move. Returns the sent row, or
 * undefined when it was held (kill switch), suppressed, or another worker had it.
 */
export async function releaseDue(tx: Tx, candidate: InterventionRow, simulated: boolean, terms: LeaseTerms, now: Date): Promise<InterventionRow | undefined> {
  const row = await tx.get<InterventionRow>(`SELECT * FROM interventions WHERE id = ? AND tenant_id = ? AND status = 'approved'${tx.dialect.skipLocked}`, [
    candidate.id,
    candidate.tenant_id,
  ]);
  if (!row) return undefined;
  const tenant = (await getTenant(tx, row.tenant_id))!;
  if (tenant.kill_switch_active) return undefined; // held, not suppressed: it goes when the switch is off
  const gate = suppressionGate(tenant, await getCustomer(tx, row.tenant_id, row.user_id));
  if (gate) {
    await move(tx, row, { status: "suppressed", suppress_reason: gate }, "suppressed", { reason: gate }, now);
    return undefined;
  }
  if (!(await move(tx, row, { status: "sent", sent_at: now.toISOString() }, "sent", {}, now))) return undefined;
  await takeLease(tx, row.id, terms, now);
  // The webhook's delivery id is made with the move, so the first POST already carries the id every repeat will.
  if (row.channel === "webhook" && !simulated) await queueWebhook(tx, row, "delivery", "queued for the webhook endpoint", now);
  return findRow(tx, row.tenant_id, row.id);
}

/** One delivery record; a webhook's carries its delivery id. */
export async function recordAttempt(tx: Tx, row: InterventionRow, kind: DeliveryKind, attempt: number, outcome: string, detail: string, now: Date): Promise<void> {
  const deliveryId = row.channel === "webhook" ? ((await storedDeliveryId(tx, row.id, kind)) ?? null) : null;
  await recordDelivery(tx, { intervention_id: row.id, channel: row.channel, kind, attempt, outcome, detail, delivery_id: deliveryId }, now);
}

/** The id stored when the delivery (or retraction) was queued; one made now for work queued before ids existed. */
export async function deliveryIdFor(tx: Tx, row: InterventionRow, kind: DeliveryKind, now: Date): Promise<string> {
  return (await storedDeliveryId(tx, row.id, kind)) ?? queueWebhook(tx, row, kind, "resumed without a stored delivery id (queued before ids existed)", now);
}

export interface Finish {
  status: "delivered" | "failed";
  attempt: number;
  outcome: string;
  detail: string;
  /** An in-app delivery places the message in the inbox in the same transaction. */
  inbox?: boolean;
}

/**
 * Records the attempt and moves `sent → delivered | failed`, in one
 * transaction. The attempt is always recorded: what the channel did
 * happened, even when a rollback won the race while it was busy (the endpoint
 * may have accepted a message that is now retracted, and the deliveries must
 * show both). Only the status move needs the row to be still `sent`; a
 * rolled-back row stays so.
 */
export async function finishDelivery(tx: Tx, row: InterventionRow, finish: Finish, now: Date): Promise<void> {
  if (finish.inbox) await placeInInbox(tx, row, now);
  await recordAttempt(tx, row, "delivery", finish.attempt, finish.outcome, finish.detail, now);
  const current = await findRow(tx, row.tenant_id, row.id);
  if (!current || current.status !== "sent") return;
  const changes: RowChanges = finish.status === "delivered" ? { status: "delivered", delivered_at: now.toISOString() } : { status: "failed" };
  await move(tx, current, changes, finish.status, { detail: finish.detail }, now);
}
