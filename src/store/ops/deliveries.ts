/**
 * The delivery log of the local store: one row per attempt (and per queued,
 * interrupted or final state) of a delivery or a retraction. A webhook's rows
 * carry its delivery id, made once when the delivery (or the retraction) is
 * queued and reused by every attempt and every resume, so a receiver can tell
 * a repeat from a new message.
 */
import { randomBytes } from "node:crypto";
import type { Tx } from "../sql.js";

export type DeliveryKind = "delivery" | "retraction";

export interface DeliveryRow {
  id: number;
  intervention_id: string;
  channel: string;
  kind: DeliveryKind;
  attempt: number;
  outcome: string;
  detail: string;
  /** Webhooks only: the id every attempt of this delivery carries. */
  delivery_id: string | null;
  created_at: string;
}

/** A record to append: a row without its id and time, the delivery id optional. */
export type DeliveryEntry = Omit<DeliveryRow, "id" | "created_at" | "delivery_id"> & { delivery_id?: string | null };

export async function recordDelivery(tx: Tx, entry: DeliveryEntry, now: Date): Promise<void> {
  await tx.run(
    `INSERT INTO deliveries (intervention_id, channel, kind, attempt, outcome, detail, delivery_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [entry.intervention_id, entry.channel, entry.kind, entry.attempt, entry.outcome, entry.detail, entry.delivery_id ?? null, now.toISOString()],
  );
}

export function deliveriesOf(tx: Tx, interventionId: string): Promise<DeliveryRow[]> {
  return tx.all<DeliveryRow>("SELECT * FROM deliveries WHERE intervention_id = ? ORDER BY id", [interventionId]);
}

export function latestDelivery(tx: Tx, interventionId: string, kind: DeliveryKind): Promise<DeliveryRow | undefined> {
  return tx.get<DeliveryRow>("SELECT * FROM deliveries WHERE intervention_id = ? AND kind = ? ORDER BY id DESC LIMIT 1", [interventionId, kind]);
}

/** `whd_` + 24 random lowercase alphanumerics. */
export function newDeliveryId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let id = "whd_";
  for (const byte of randomBytes(24)) id += alphabet[byte % alphabet.length];
  return id;
}

/** The delivery id recorded for this intervention and kind, if any. */
export async function storedDeliveryId(tx: Tx, interventionId: string, kind: DeliveryKind): Promise<string | undefined> {
  const row = await tx.get<{ delivery_id: string }>(
    "SELECT delivery_id FROM deliveries WHERE intervention_id = ? AND kind = ? AND delivery_id IS NOT NULL ORDER BY id LIMIT 1",
    [interventionId, kind],
  );
  return row?.delivery_id;
}

/**
 * What became of an intervention's delivery, as get_intervention shows it.
 * `unknown`: a webhook sent on every attempt without an answer; the
 * intervention stays `sent` (handed to the channel, never confirmed), because
 * `failed` would claim the endpoint does not have it.
 */
export type DeliveryOutcome = "pending" | "delivered" | "unknown" | "failed" | "cancelled";

const OUTCOME_OF_RECORD: Record<string, DeliveryOutcome> = {
  pending: "pending",
  retrying: "pending",
  unknown: "pending",
  interrupted: "pending",
  accepted: "delivered",
  inbox: "delivered",
  outbox: "delivered",
  simulated: "delivered",
  unconfirmed: "unknown",
  error: "failed",
  cancelled: "cancelled",
};

/** What a delivery record's outcome means to the API's `delivery_outcome`. */
export function outcomeOfRecord(outcome: string): DeliveryOutcome | undefined {
  return OUTCOME_OF_RECORD[outcome];
}

/** In-app delivery: the message in the user's inbox, once per intervention (a resumed delivery never shows twice). */
export async function placeInInbox(tx: Tx, row: { id: string; tenant_id: string; user_id: string; subject: string | null; message_body: string }, now: Date): Promise<void> {
  await tx.run(
    `INSERT INTO inbox (intervention_id, tenant_id, user_id, subject, body, delivered_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (intervention_id) DO NOTHING`,
    [row.id, row.tenant_id, row.user_id, row.subject, row.message_body, now.toISOString()],
  );
}

/** A rollback withdraws an in-app message from the inbox. */
export async function withdrawFromInbox(tx: Tx, interventionId: string, now: Date): Promise<void> {
  await tx.run("UPDATE inbox SET withdrawn_at = ? WHERE intervention_id = ? AND withdrawn_at IS NULL", [now.toISOString(), interventionId]);
}
