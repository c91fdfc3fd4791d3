/**
 * The guard's audit events, all through the hash-chained `appendAudit`. Every
 * row names the approval, the action hash and the channel, so the trail of one
 * intervention shows who asked, who answered, and what ran. Transport session
 * ids are never recorded: the audit trail is shown to clients.
 *
 * Refusals are what a hostile caller can produce at will, so they are
 * budgeted per source (a principal, or a channel such as the page): the
 * first REFUSALS_PER_WINDOW of a window are recorded in full, the rest are
 * counted and summed up in one row when the source is next recorded or the
 * process closes the guard.
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
  | "approval_refusals_suppressed"
  | "approval_expired"
  | "approval_voided"
  | "approval_executed"
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

export const REFUSALS_PER_WINDOW = 30;
export const REFUSAL_WINDOW_MS = 60_000;

interface Window {
  startedAt: number;
  recorded: number;
  suppressed: number;
  firstSuppressedAt: string | null;
}

const budgets = new WeakMap<Db, Map<string, Window>>();

function summarize(db: Db, source: string, window: Window, now: Date): void {
  if (window.suppressed === 0) return;
  auditGuard(db, {
    event: "approval_refusals_suppressed",
    actor: "system:guard",
    detail: { source, count: window.suppressed, from: window.firstSuppressedAt, to: now.toISOString() },
  });
  window.suppressed = 0;
  window.firstSuppressedAt = null;
}

/** A refusal, recorded in full while `source` is within its budget, else only counted. */
export function auditRefusal(db: Db, source: string, entry: GuardAuditEntry, now = new Date()): void {
  let windows = budgets.get(db);
  if (!windows) budgets.set(db, (windows = new Map()));
  let window = windows.get(source);
  if (!window || now.getTime() - window.startedAt >= REFUSAL_WINDOW_MS) {
    if (window) summarize(db, source, window, now);
    // Sources are principals and channels: few. Stay bounded whatever happens.
    if (windows.size > 1000) windows.clear();
    window = { startedAt: now.getTime(), recorded: 0, suppressed: 0, firstSuppressedAt: null };
    windows.set(source, window);
  }
  if (window.recorded < REFUSALS_PER_WINDOW) {
    window.recorded++;
    auditGuard(db, entry);
    return;
  }
  window.suppressed++;
  window.firstSuppressedAt ??= now.toISOString();
}

/** Writes the pending summaries (the guard closes, or a test wants them now). */
export function flushRefusalSummaries(db: Db, now = new Date()): void {
  for (const [source, window] of budgets.get(db) ?? []) summarize(db, source, window, now);
}

/** Client names come from the client: capped, so none can bloat the audit log. */
export const MAX_CLIENT_NAME = 100;

export function agentActor(client: { name: string; version: string }): string {
  return `agent:${client.name.slice(0, MAX_CLIENT_NAME)}`;
}
