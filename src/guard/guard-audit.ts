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
import type { ApprovalRow, AuditEvent, Store } from "../store/index.js";

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
  | "approval_passphrase_set"
  | "approval_reminder"
  | "approval_escalated"
  | "approval_notice_failed"
  | "operator_added"
  | "operator_removed"
  | "operator_passphrase_set";

export interface GuardAuditEntry {
  event: GuardAuditEvent;
  actor: string;
  interventionId?: string | null;
  approval?: ApprovalRow;
  detail?: Record<string, unknown>;
}

/** The audit row of a guard event: it names the approval, the action hash and the channel. */
export function guardEvent(entry: GuardAuditEntry): AuditEvent {
  const approval = entry.approval;
  return {
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
  };
}

/** Appends a guard event on its own (an event that records no change of the store's other rows). */
export function auditGuard(store: Store, entry: GuardAuditEntry): Promise<void> {
  return store.audit.append(guardEvent(entry));
}

export const REFUSALS_PER_WINDOW = 30;
export const REFUSAL_WINDOW_MS = 60_000;

interface Window {
  startedAt: number;
  recorded: number;
  suppressed: number;
  firstSuppressedAt: string | null;
}

const budgets = new WeakMap<Store, Map<string, Window>>();

async function summarize(store: Store, source: string, window: Window, now: Date): Promise<void> {
  if (window.suppressed === 0) return;
  const count = window.suppressed;
  const from = window.firstSuppressedAt;
  window.suppressed = 0;
  window.firstSuppressedAt = null;
  await auditGuard(store, {
    event: "approval_refusals_suppressed",
    actor: "system:guard",
    detail: { source, count, from, to: now.toISOString() },
  });
}

/** A refusal, recorded in full while `source` is within its budget, else only counted. */
export async function auditRefusal(store: Store, source: string, entry: GuardAuditEntry, now = new Date()): Promise<void> {
  let windows = budgets.get(store);
  if (!windows) budgets.set(store, (windows = new Map()));
  let window = windows.get(source);
  if (!window || now.getTime() - window.startedAt >= REFUSAL_WINDOW_MS) {
    if (window) await summarize(store, source, window, now);
    // Sources are principals and channels: few. Stay bounded whatever happens, losing no count.
    if (windows.size > 1000) {
      await flushRefusalSummaries(store, now);
      windows.clear();
    }
    window = { startedAt: now.getTime(), recorded: 0, suppressed: 0, firstSuppressedAt: null };
    windows.set(source, window);
  }
  if (window.recorded < REFUSALS_PER_WINDOW) {
    window.recorded++;
    await auditGuard(store, entry);
    return;
  }
  window.suppressed++;
  window.firstSuppressedAt ??= now.toISOString();
}

/** Writes the pending summaries (the guard closes, or a test wants them now). */
export async function flushRefusalSummaries(store: Store, now = new Date()): Promise<void> {
  for (const [source, window] of budgets.get(store) ?? []) await summarize(store, source, window, now);
}

/** Writes the summaries of windows that are over, so a crash loses at most the current window's count. */
export async function flushEndedRefusalWindows(store: Store, now = new Date()): Promise<void> {
  for (const [source, window] of budgets.get(store) ?? []) {
    if (now.getTime() - window.startedAt >= REFUSAL_WINDOW_MS && window.suppressed > 0) await summarize(store, source, window, now);
  }
}

/** Client names and versions come from the client: capped, so none can bloat a row or the audit log. */
export const MAX_CLIENT_NAME = 100;
export const MAX_CLIENT_VERSION = 40;

export function agentActor(client: { name: string; version: string }): string {
  return `agent:${client.name.slice(0, MAX_CLIENT_NAME)}`;
}
