/**
 * What a rollback can undo, per channel (domain.md): in-app messages leave the
 * inbox; an email cannot be unsent, so its retraction is recorded; a webhook
 * receiver gets a signed retraction event (sent after commit by the dispatcher).
 */
import { newDeliveryId, recordDelivery } from "./deliveries.js";
import type { InterventionRow } from "./interventions-repo.js";
import { prepared, type Db } from "./store.js";

/** Runs inside the rollback's transaction. */
export function retractInTransaction(db: Db, row: InterventionRow, now: Date): void {
  const base = { intervention_id: row.id, channel: row.channel, kind: "retraction" as const, attempt: 1 };
  switch (row.channel) {
    case "in_app":
      prepared(db, "UPDATE inbox SET withdrawn_at = ? WHERE intervention_id = ? AND withdrawn_at IS NULL").run(now.toISOString(), row.id);
      recordDelivery(db, { ...base, outcome: "withdrawn", detail: "removed from the user's in-app inbox" }, now);
      break;
    case "email":
      recordDelivery(db, { ...base, outcome: "recorded", detail: "email cannot be unsent; the retraction is recorded" }, now);
      break;
    case "webhook": {
      // The retraction's own delivery id, made here so that every attempt and resume reuses it.
      const deliveryId = newDeliveryId();
      recordDelivery(db, { ...base, outcome: "pending", detail: `signed retraction event queued for the webhook endpoint (delivery ${deliveryId})`, delivery_id: deliveryId }, now);
      break;
    }
  }
}
