/**
 * What a human approves, reduced to the facts that decide what will happen,
 * and its hash. Domain knowledge shared by the guard (which asks) and the
 * store (which spends an approval only for the state it was given for). The hash is recomputed from a fresh read at execution time, so
 * an edit of the message, subject, status, version or flag after the human
 * answered makes the approval worthless.
 */
import { createHash } from "node:crypto";
import type { DetailedIntervention } from "../api/schemas.js";
import { canonicalJson } from "../canonical.js";
import type { GuardedAction } from "./status-machine.js";

export type { GuardedAction } from "./status-machine.js";

/** Exactly what reaches the recipient or decides whether it does; nothing the agent controls besides `reason`. */
export interface ActionFacts {
  action: GuardedAction;
  intervention_id: string;
  /** Null in API mode when the remote API does not report a version. */
  version: number | null;
  status: string;
  user_id: string;
  channel: string;
  /** The email subject line, sent with the body; null where there is none (or the API does not report it). */
  subject: string | null;
  message_body: string;
  planned_at: string;
  /**
   * Where the API reports no version, these tell one pass through a status
   * from the next: approved, paused and paused again is not the state a human
   * approved the first time.
   */
  approved_at: string | null;
  sent_at: string | null;
  delivered_at: string | null;
  flagged: boolean;
  reason: string | null;
}

/** Who the channel will address: a name and, per channel, an address (email), where the store knows them. */
export interface Recipient {
  name: string | null;
  /** The email address, or where a webhook goes (its host); null for in-app and when unknown. */
  address: string | null;
}

/** Shown to the human beside the facts; not hashed because it cannot change what is sent. */
export interface DisplayFacts {
  reasoning: string;
  confidence: number;
  flag_reason: string | null;
  quality_checks: unknown;
  /** Who wrote the text (provider, model), as the intervention records it. */
  provenance?: unknown;
  sent_at?: string | null;
  delivered_at?: string | null;
  recipient?: Recipient | null;
}

export function actionFactsOf(action: GuardedAction, intervention: DetailedIntervention, reason?: string): ActionFacts {
  return {
    action,
    intervention_id: intervention.id,
    version: intervention.version ?? null,
    status: intervention.status,
    user_id: intervention.user_id,
    channel: intervention.channel,
    subject: typeof intervention.subject === "string" ? intervention.subject : null,
    message_body: intervention.message_body,
    planned_at: intervention.planned_at,
    approved_at: intervention.approved_at ?? null,
    sent_at: intervention.sent_at ?? null,
    delivered_at: intervention.delivered_at ?? null,
    flagged: intervention.flagged,
    reason: reason ?? null,
  };
}

export function displayFactsOf(intervention: DetailedIntervention, recipient: Recipient | null = null): DisplayFacts {
  return {
    reasoning: intervention.reasoning,
    confidence: intervention.confidence,
    flag_reason: intervention.flag_reason,
    quality_checks: intervention.quality_checks ?? null,
    provenance: intervention.provenance ?? null,
    sent_at: intervention.sent_at,
    delivered_at: intervention.delivered_at,
    recipient,
  };
}

export function actionHash(facts: ActionFacts): string {
  return createHash("sha256").update(canonicalJson(facts)).digest("hex");
}
