/**
 * What the guard cases read back, through the store port rather than the
 * SQLite file, so the same case runs on every engine: an intervention's
 * status, the audit trail, the approval requests of an intervention.
 */
import type { Runtime } from "../../src/runtime.js";
import type { ApprovalRow } from "../../src/store/index.js";
import type { AuditEntry } from "./helpers.js";

export async function statusOf(runtime: Runtime, id: string): Promise<{ status: string; version: number; flagged: number }> {
  const row = await runtime.store.interventions.get("live", id);
  if (!row) throw new Error(`no intervention ${id}`);
  return { status: row.status, version: row.version, flagged: row.flagged };
}

/** A seeded intervention of the live data set in `status` (flagged or not, if asked). */
export async function seededIdOf(runtime: Runtime, status: string, options: { flagged?: boolean } = {}): Promise<string> {
  const page = await runtime.store.interventions.list("live", { status: status as never, ...(options.flagged === undefined ? {} : { flagged: options.flagged }), limit: 1 });
  const id = page.interventions[0]?.id;
  if (!id) throw new Error(`no seeded intervention in status ${status}${options.flagged === undefined ? "" : options.flagged ? ", flagged" : ", unflagged"}`);
  return id;
}

export async function trailOf(runtime: Runtime, interventionId: string): Promise<AuditEntry[]> {
  return (await runtime.store.audit.trail(interventionId)).map((row) => ({
    seq: row.seq,
    event: row.event,
    actor: row.actor,
    intervention_id: row.intervention_id,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  }));
}

export async function eventsOf(runtime: Runtime, interventionId: string): Promise<string[]> {
  return (await trailOf(runtime, interventionId)).map((entry) => entry.event);
}

/** Every request this store's own agents made for the intervention, oldest first. */
export async function approvalsOf(runtime: Runtime, interventionId: string): Promise<ApprovalRow[]> {
  const rows = [
    ...(await runtime.store.approvals.requestsOf(interventionId, "approve", "local")),
    ...(await runtime.store.approvals.requestsOf(interventionId, "rollback", "local")),
  ];
  return rows.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}
