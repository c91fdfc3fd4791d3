/**
 * The delivery log of the local store: one row per attempt (and per queued,
 * interrupted or final state) of a delivery or a retraction. A webhook's rows
 * carry its delivery id, made once when the delivery (or the retraction) is
 * queued and reused by every attempt and every resume, so a receiver can tell
 * a repeat from a new message.
 */
import { randomBytes } from "node:crypto";
import { prepared, type Db } from "./store.js";

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

export function recordDelivery(db: Db, entry: DeliveryEntry, now: Date): void {
  prepared(
    db,
    `INSERT INTO deliveries (intervention_id, channel, kind, attempt, outcome, detail, delivery_id, created_at)
     VALUES (@intervention_id, @channel, @kind, @attempt, @outcome, @detail, @delivery_id, @created_at)`,
  ).run({ delivery_id: null, ...entry, created_at: now.toISOString() });
}

export function deliveriesOf(db: Db, interventionId: string): DeliveryRow[] {
  return prepared(db, "SELECT * FROM deliveries WHERE intervention_id = ? ORDER BY id").all(interventionId) as DeliveryRow[];
}

export function latestDelivery(db: Db, interventionId: string, kind: DeliveryKind): DeliveryRow | undefined {
  return prepared(db, "SELECT * FROM deliveries WHERE intervention_id = ? AND kind = ? ORDER BY id DESC LIMIT 1").get(interventionId, kind) as
    | DeliveryRow
    | undefined;
}

/** `whd_` + 24 random lowercase alphanumerics. */
export function newDeliveryId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let id = "whd_";
  for (const byte of randomBytes(24)) id += alphabet[byte % alphabet.length];
  return id;
}

/** The delivery id recorded for this intervention and kind, if any. */
export function storedDeliveryId(db: Db, interventionId: string, kind: DeliveryKind): string | undefined {
  return prepared(db, "SELECT delivery_id FROM deliveries WHERE intervention_id = ? AND kind = ? AND delivery_id IS NOT NULL ORDER BY id LIMIT 1")
    .pluck()
    .get(interventionId, kind) as string | undefined;
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

export function deliveryOutcomeOf(db: Db, interventionId: string): DeliveryOutcome | undefined {
  const latest = latestDelivery(db, interventionId, "delivery");
  return latest ? OUTCOME_OF_RECORD[latest.outcome] : undefined;
}
