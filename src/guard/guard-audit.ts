/**
 * The guard's audit events, all through the hash-chained `appendAudit`. Every
 * row names the approval, the action hash and the channel, so the trail of one
 * intervention shows who asked, who answered, and what ran.
 */
import { appendAudit } from "../backend/local/audit.js";
import type { Db } from "../backend/local/store.js";
import type { ApprovalRow } from "./approvals-store.js";

/** Approvals and the audit log live beside the live data set (or alone, in API mode). */
export const GUARD_TENANT = "live";

export type GuardAuditEvent =
  | "approval_requested"
  | "approval_answered"
  | "approval_refused"
  | "approval_expired"
  | "approval_voided"
  | "approval_executed"
  | "approval_unused"
  | "approval_execution_failed"
  | "approval_passphrase_set";

export interface GuardAuditEntry {
  event: GuardAuditEvent;
  actor: string;
  interventionId?: string | null;
  approval?: ApprovalRow;
  detail?: Record<string, unknown>;
}

export function auditGuard(db: Db, entry: GuardAuditEntry): void {
  const approval = entry.approval;
  appendAudit(db, {
    tenant_id: approval?.tenant_id ?? GUARD_TENANT,
    event: entry.event,
    intervention_id: entry.interventionId ?? approval?.intervention_id ?? null,
    actor: entry.actor,
    detail: {
      ...(approval
        ? {
            approval_id: approval.id,
            action: approval.action,
            action_hash: approval.action_hash,
            channel: approval.channel,
            client: `${approval.client_name} ${approval.client_version}`,
          }
        : {}),
      ...entry.detail,
    },
  });
}

/** Client names come from the client: capped, so none can bloat the audit log. */
export const MAX_CLIENT_NAME = 100;

export function agentActor(client: { name: string; version: string }): string {
  return `agent:${client.name.slice(0, MAX_CLIENT_NAME)}`;
}
