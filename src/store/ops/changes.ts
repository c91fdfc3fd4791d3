/**
 * Every change of an intervention as one atomic operation: read, check the
 * status machine, compare-and-set, side effects, audit, all in the caller's
 * write transaction, so nothing is ever half-applied. A guarded transition
 * (approve, rollback) carries the approval it spends as data, and the
 * approval is spent here, in the same transaction, only for the state it was
 * given for (its action hash recomputed from the row as it is now).
 */
import type { CreateResponse } from "../../api/schemas.js";
import { actionFactsOf, actionHash } from "../../domain/action-hash.js";
import { consentFlagReason, consentProblem, consentRefusal, CONSENT_ACTOR, type ConsentProblem } from "../../domain/consent.js";
import type { Customer } from "../../domain/catalog.js";
import { planTransition, WouldMoveError, type Action } from "../../domain/status-machine.js";
import { ApprovalRefusedError, ConflictError, NotFoundError, type RetivoError } from "../../errors.js";
import { consumeApprovalRow, recordOutcome } from "./approvals.js";
import { appendAudit, type AuditEvent } from "./audit.js";
import { getCustomer, setCustomerGates } from "./catalog.js";
import { newDeliveryId, recordDelivery, withdrawFromInbox } from "./deliveries.js";
import { rememberCreate, rememberedCreate } from "./idempotency.js";
import { compareAndSet, type RowChanges } from "./compare-and-set.js";
import { findRow, insertRow, toIntervention, unsentRowsForUser, type InterventionRow, type NewIntervention } from "./interventions.js";
import type { Tx } from "../sql.js";

/** The approval a guarded transition spends: which one, and the action hash of the state a human approved. */
export interface ApprovalToSpend {
  id: string;
  actionHash: string;
  /** A rollback's reason, part of what was approved. */
  reason: string | null;
  /** The `approval_executed` audit row to append once spent (the status reached is added to its detail). */
  executed: AuditEvent;
}

export interface TransitionRequest {
  tenantId: string;
  id: string;
  action: Action;
  actor: string;
  /** Columns besides status and its timestamp: a rejection's or a rollback's reason. */
  reason?: { reject_reason?: string; rollback_reason?: string | null };
  auditDetail?: Record<string, unknown>;
  approval?: ApprovalToSpend;
  /** Approve only: refuse (and flag) when the user opted out or was paused since planning. */
  checkConsent?: boolean;
  /** Throw WouldMoveError instead of changing anything (see GuardedActionOptions.noOpOnly). */
  noOpOnly?: boolean;
  now: Date;
}

export type TransitionResult =
  | { kind: "moved"; status: string; row: InterventionRow }
  | { kind: "noop"; status: string }
  /** Refused after recording why (a consent flag): that much commits, then the refusal is thrown. */
  | { kind: "refused"; refusal: RetivoError };

export function notFound(id: string): NotFoundError {
  return new NotFoundError(`No intervention with id '${id}'.`, "Use an id returned by list_interventions.", {
    restHint: "Use an id returned by GET /api/interventions.",
  });
}

export async function requireRow(tx: Tx, tenantId: string, id: string): Promise<InterventionRow> {
  const row = await findRow(tx, tenantId, id);
  if (!row) throw notFound(id);
  return row;
}

async function casOrConflict(tx: Tx, row: InterventionRow, changes: RowChanges, now: Date): Promise<InterventionRow> {
  const written = await compareAndSet(tx, row, changes, now.toISOString());
  if (!written) throw new ConflictError(`${row.id} changed while this action ran.`, "Read it again and retry if still wanted.");
  return written;
}

const STAMP: Partial<Record<Action, "approved_at" | "rolled_back_at">> = { approve: "approved_at", rollback: "rolled_back_at" };

/** What a rollback can undo, per channel (domain.md), inside the rollback's transaction. */
async function retract(tx: Tx, row: InterventionRow, now: Date): Promise<void> {
  const base = { intervention_id: row.id, channel: row.channel, kind: "retraction" as const, attempt: 1 };
  switch (row.channel) {
    case "in_app":
      await withdrawFromInbox(tx, row.id, now);
      await recordDelivery(tx, { ...base, outcome: "withdrawn", detail: "removed from the user's in-app inbox" }, now);
      break;
    case "email":
      await recordDelivery(tx, { ...base, outcome: "recorded", detail: "email cannot be unsent; the retraction is recorded" }, now);
      break;
    case "webhook": {
      // The retraction's own delivery id, made here so that every attempt and resume reuses it.
      const deliveryId = newDeliveryId();
      await recordDelivery(tx, { ...base, outcome: "pending", detail: `signed retraction event queued for the webhook endpoint (delivery ${deliveryId})`, delivery_id: deliveryId }, now);
      break;
    }
  }
}

/** Spends `approval` for `row` as it is now, or throws: a changed intervention, a replayed or expired approval. */
async function spend(tx: Tx, approval: ApprovalToSpend, action: "approve" | "rollback", row: InterventionRow, now: Date): Promise<void> {
  if (actionHash(actionFactsOf(action, toIntervention(row), approval.reason ?? undefined)) !== approval.actionHash) {
    throw new ApprovalRefusedError(`${row.id} changed since the human approved it (message, status, version or flag differ), so the approval no longer applies. Nothing changed.`);
  }
  if (!(await consumeApprovalRow(tx, approval.id, now))) {
    throw new ApprovalRefusedError(`Approval ${approval.id} was already used or has expired. Nothing changed.`);
  }
}

export async function transition(tx: Tx, request: TransitionRequest): Promise<TransitionResult> {
  const row = await requireRow(tx, request.tenantId, request.id);
  const plan = planTransition(request.action, request.id, row.status);
  if (plan.kind === "noop") return { kind: "noop", status: row.status };
  if (request.noOpOnly) throw new WouldMoveError();
  if (request.checkConsent) {
    const refusal = await refuseWithoutConsent(tx, row, request.now);
    if (refusal) return { kind: "refused", refusal };
  }
  if (request.approval) {
    if (request.action !== "approve" && request.action !== "rollback") throw new Error(`${request.action} spends no approval`);
    await spend(tx, request.approval, request.action, row, request.now);
  }
  const stamp = STAMP[request.action];
  const moved = await casOrConflict(tx, row, { ...request.reason, ...(stamp ? { [stamp]: request.now.toISOString() } : {}), status: plan.to }, request.now);
  if (request.action === "rollback") await retract(tx, row, request.now);
  await appendAudit(
    tx,
    {
      tenant_id: request.tenantId,
      event: plan.to,
      intervention_id: request.id,
      actor: request.actor,
      detail: { from: row.status, to: plan.to, version: row.version + 1, ...request.auditDetail },
    },
    request.now,
  );
  if (request.approval) {
    await recordOutcome(tx, request.approval.id, "executed", `${request.id} is now ${plan.to}`);
    const executed = request.approval.executed;
    await appendAudit(tx, { ...executed, detail: { ...executed.detail, status: plan.to } }, request.now);
  }
  return { kind: "moved", status: plan.to, row: moved };
}

/**
 * Flags for review, beside (never over) a reason the quality checks or the
 * engine gave. An approved message that has not gone out is paused, so it
 * cannot leave without a fresh approval.
 */
export async function flag(tx: Tx, tenantId: string, id: string, reason: string, actor: string, now: Date): Promise<void> {
  const row = await requireRow(tx, tenantId, id);
  if (row.flagged === 1 && row.review_flag_reason === reason) return;
  const changes: RowChanges = { flagged: 1, review_flag_reason: reason };
  if (row.status === "approved") changes.status = "paused";
  await casOrConflict(tx, row, changes, now);
  await appendAudit(tx, { tenant_id: tenantId, event: "flagged", intervention_id: id, actor, detail: { reason, from: row.status, to: changes.status ?? row.status } }, now);
}

export interface CreateRecord {
  row: NewIntervention;
  response: CreateResponse;
  actor: string;
  auditDetail: Record<string, unknown>;
  /** The create's Idempotency-Key and request hash, remembered with it for 24 h. */
  idempotency?: { key: string; requestHash: string };
  now: Date;
}

/** The first answer to an Idempotency-Key (marked as a replay), or undefined; another request under it is a conflict. */
export async function replayOf(tx: Tx, tenantId: string, key: string, requestHash: string, now: Date): Promise<CreateResponse | undefined> {
  const remembered = await rememberedCreate(tx, tenantId, key, now);
  if (!remembered) return undefined;
  if (remembered.requestHash !== requestHash) {
    throw new ConflictError(
      `Idempotency-Key '${key}' was already used in the last 24 hours for a different request (another user_id, playbook_id or channel); nothing was created.`,
      "Send a new Idempotency-Key for a new request; reuse a key only to retry the very same request.",
    );
  }
  return { ...remembered.response, idempotent_replayed: true };
}

/** Stores a new intervention and its audit row; a request with the same key that committed meanwhile wins. */
export async function create(tx: Tx, record: CreateRecord): Promise<CreateResponse> {
  const { idempotency } = record;
  if (idempotency) {
    await tx.lock(`idempotency:${record.row.tenant_id}:${idempotency.key}`);
    const raced = await replayOf(tx, record.row.tenant_id, idempotency.key, idempotency.requestHash, record.now);
    if (raced) return raced;
  }
  await insertRow(tx, record.row);
  await appendAudit(tx, { tenant_id: record.row.tenant_id, event: "created", intervention_id: record.row.id, actor: record.actor, detail: record.auditDetail }, record.now);
  if (idempotency) await rememberCreate(tx, record.row.tenant_id, idempotency.key, idempotency.requestHash, record.response, record.now);
  return record.response;
}

/** Flags one unsent intervention for consent. False when it already carries this reason (nothing to change). */
async function flagForConsent(tx: Tx, row: InterventionRow, problem: ConsentProblem, now: Date): Promise<boolean> {
  const reason = consentFlagReason(row.user_id, problem);
  if (row.flagged === 1 && row.flag_reason?.includes(reason)) return false;
  const changes: RowChanges = { flagged: 1, flag_reason: row.flagged === 1 && row.flag_reason ? `${reason}; ${row.flag_reason}` : reason };
  if (row.status === "approved") changes.status = "paused";
  if (!(await compareAndSet(tx, row, changes, now.toISOString()))) {
    throw new ConflictError(`${row.id} changed while its consent was checked.`, "Read it again and retry if still wanted.");
  }
  await appendAudit(
    tx,
    { tenant_id: row.tenant_id, event: "flagged", intervention_id: row.id, actor: CONSENT_ACTOR, detail: { reason, from: row.status, to: changes.status ?? row.status } },
    now,
  );
  return true;
}

/** The refusal approve would give for lack of consent (flagging the intervention first), or null when the user may be messaged. */
export async function refuseWithoutConsent(tx: Tx, row: InterventionRow, now: Date): Promise<RetivoError | null> {
  const customer = await getCustomer(tx, row.tenant_id, row.user_id);
  const problem = customer ? consentProblem(customer) : null;
  if (!problem || !["planned", "paused", "approved"].includes(row.status)) return null;
  await flagForConsent(tx, row, problem, now);
  return consentRefusal(row, problem);
}

/**
 * Sets a customer's opt-out and pause gates, and flags every unsent
 * intervention of theirs when either is now on. Returns the ids it flagged.
 */
export async function setCustomerConsent(tx: Tx, tenantId: string, userId: string, gates: Partial<Pick<Customer, "opted_out" | "paused">>, now: Date): Promise<string[]> {
  const customer = await getCustomer(tx, tenantId, userId);
  if (!customer) throw new NotFoundError(`No customer with user_id '${userId}'.`, "Use a user_id from the retivo://customers resource.");
  const next = { opted_out: gates.opted_out ?? customer.opted_out, paused: gates.paused ?? customer.paused };
  await setCustomerGates(tx, tenantId, userId, next);
  const problem = consentProblem(next);
  if (!problem) return [];
  const flagged: string[] = [];
  for (const row of await unsentRowsForUser(tx, tenantId, userId)) if (await flagForConsent(tx, row, problem, now)) flagged.push(row.id);
  return flagged;
}
