/**
 * The store port: everything durable (interventions, catalog, deliveries and
 * dispatch claims, approvals, the guard's settings, the audit log) as atomic
 * domain operations. Each method is one transaction inside the engine
 * (SQLite or PostgreSQL); no caller ever holds a transaction, and what a
 * guarded transition needs of its approval travels as data. Audit rows that
 * record a change are passed with it and commit with it.
 */
import type { CompactIntervention } from "../api/compact.js";
import type { CreateResponse, DetailedIntervention } from "../api/schemas.js";
import type { BrandContext, Customer, MessagePolicy, Playbook, TenantSettings } from "../domain/catalog.js";
import type { ListPage, ListQuery } from "../domain/list.js";
import type { GuardedAction } from "../domain/status-machine.js";
import type { ApprovalRow, NewApproval } from "./ops/approvals.js";
import type { DecisionResult, DecisionRow, NewDecision } from "./ops/decisions.js";
import type { OperatorRow } from "./ops/operators.js";
import type { ReminderKind } from "./ops/approval-reminders.js";
import type { AuditEvent, AuditRow, ChainVerdict } from "./ops/audit.js";
import type { CreateRecord, TransitionRequest } from "./ops/changes.js";
import type { DeliveryKind, DeliveryRow } from "./ops/deliveries.js";
import type { Finish } from "./ops/dispatch.js";
import type { LeaseTerms } from "./ops/delivery-leases.js";
import type { RateDecision } from "./ops/rate-limits.js";
import type { InterventionRow } from "./ops/interventions.js";
import type { TenantSeed } from "./ops/seed.js";

export type { ListPage, ListQuery } from "../domain/list.js";
export type { ApprovalRow, ApprovalStatus, ApprovalTier, NewApproval } from "./ops/approvals.js";
export type { DecisionResult, DecisionRow, NewDecision } from "./ops/decisions.js";
export type { OperatorRow } from "./ops/operators.js";
export type { ReminderKind } from "./ops/approval-reminders.js";
export type { AuditEvent, AuditRow, ChainVerdict } from "./ops/audit.js";
export type { ApprovalToSpend, CreateRecord, TransitionRequest } from "./ops/changes.js";
export type { DeliveryKind, DeliveryOutcome, DeliveryRow } from "./ops/deliveries.js";
export type { Finish } from "./ops/dispatch.js";
export type { LeaseTerms } from "./ops/delivery-leases.js";
export type { RateDecision } from "./ops/rate-limits.js";
export type { InterventionRow, NewIntervention } from "./ops/interventions.js";
export type { RowChanges } from "./ops/compare-and-set.js";
export type { SeededIntervention, TenantSeed } from "./ops/seed.js";

export interface InterventionsPort {
  get(tenantId: string, id: string): Promise<InterventionRow | undefined>;
  /** The API object get_intervention returns, with its delivery outcome, read in one statement. */
  detail(tenantId: string, id: string): Promise<DetailedIntervention | undefined>;
  /** Any tenant's: the dispatcher owns several. */
  getAny(id: string): Promise<InterventionRow | undefined>;
  list(tenantId: string, query: ListQuery): Promise<ListPage>;
  listCompact(tenantId: string, query: ListQuery): Promise<ListPage<CompactIntervention>>;
  idsByPrefix(tenantId: string, prefix: string, statuses: readonly string[] | undefined, limit: number): Promise<string[]>;
  /** `status:version` per id found (what resource subscriptions compare). */
  versionsOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>>;
  countByStatus(tenantId: string): Promise<{ status: string; n: number }[]>;
  /** A user's interventions created after `since` (cooldowns, weekly caps). */
  createdSince(tenantId: string, userId: string, since: string): Promise<{ playbook_id: string; status: string; created_at: string }[]>;
  /** The first answer an Idempotency-Key got within 24 h; throws when the key came with another request. */
  replayOf(tenantId: string, key: string, requestHash: string, now: Date): Promise<CreateResponse | undefined>;
  create(record: CreateRecord): Promise<CreateResponse>;
  /** One status change; throws the domain's refusals (illegal, conflict, consent, a spent or stale approval). */
  transition(request: TransitionRequest): Promise<{ status: string; moved: boolean; row?: InterventionRow }>;
  flag(tenantId: string, id: string, reason: string, actor: string, now: Date): Promise<void>;
  /** Throws what approve would for lack of consent, flagging the intervention first. */
  assertApprovable(tenantId: string, id: string, now: Date): Promise<void>;
}

export interface CatalogPort {
  tenant(tenantId: string): Promise<TenantSettings | undefined>;
  setKillSwitch(tenantId: string, active: boolean): Promise<void>;
  setShadowMode(tenantId: string, active: boolean): Promise<void>;
  setWebhook(tenantId: string, url: string | null, secret: string | null): Promise<void>;
  setBrandContext(tenantId: string, brand: BrandContext): Promise<void>;
  setMessagePolicy(tenantId: string, policy: MessagePolicy): Promise<void>;
  customer(tenantId: string, userId: string): Promise<Customer | undefined>;
  /** Sets opt-out and pause, flagging every unsent intervention of the user when either is on; returns their ids. */
  setCustomerConsent(tenantId: string, userId: string, gates: Partial<Pick<Customer, "opted_out" | "paused">>, now: Date): Promise<string[]>;
  searchCustomerIds(tenantId: string, prefix: string, limit?: number): Promise<string[]>;
  playbook(tenantId: string, id: string): Promise<Playbook | undefined>;
  playbooks(tenantId: string, activeOnly?: boolean): Promise<Playbook[]>;
}

export interface DeliveriesPort {
  of(interventionId: string): Promise<DeliveryRow[]>;
  latest(interventionId: string, kind: DeliveryKind): Promise<DeliveryRow | undefined>;
}

export interface DispatchPort {
  due(tenants: readonly string[], now: Date): Promise<InterventionRow[]>;
  /** Gates and `approved → sent` (or suppressed), leased to `terms.owner`; the sent row, or undefined when held, suppressed or taken by another worker. */
  release(candidate: InterventionRow, simulated: boolean, terms: LeaseTerms, now: Date): Promise<InterventionRow | undefined>;
  record(row: InterventionRow, kind: DeliveryKind, attempt: number, outcome: string, detail: string, now: Date): Promise<void>;
  deliveryIdFor(row: InterventionRow, kind: DeliveryKind, now: Date): Promise<string>;
  finish(row: InterventionRow, finish: Finish, now: Date): Promise<void>;
  /** Claims work nobody holds a live lease on, leasing it to `terms.owner`; `busy` skips keys this process already works on. */
  takeAbandoned(
    tenants: readonly string[],
    now: Date,
    terms: LeaseTerms,
    busy: (key: string) => boolean,
  ): Promise<{ sent: InterventionRow[]; retractions: InterventionRow[] }>;
  /** Leases `key` to `terms.owner` unless another owner holds it. */
  lease(key: string, terms: LeaseTerms, now: Date): Promise<boolean>;
  /** The heartbeat: extends the owner's leases on `keys`; how many it still held. */
  renewLeases(keys: readonly string[], terms: LeaseTerms, now: Date): Promise<number>;
  releaseLease(key: string, owner: string): Promise<void>;
}

export interface ApprovalsPort {
  /** A new pending request and its `approval_requested` audit row (built from the row). */
  insert(spec: NewApproval, audit: (row: ApprovalRow) => AuditEvent): Promise<ApprovalRow>;
  get(id: string): Promise<ApprovalRow | undefined>;
  requestsOf(interventionId: string, action: GuardedAction, principal: string): Promise<ApprovalRow[]>;
  lastExecuted(interventionId: string, action: GuardedAction): Promise<ApprovalRow | undefined>;
  listOpen(): Promise<ApprovalRow[]>;
  listApprovedUnexecuted(backendId: string, now: Date): Promise<ApprovalRow[]>;
  /** Closes an open request (expired or void) and audits it; false when it was no longer open. */
  close(id: string, status: "expired" | "void", now: Date, outcome: string, audit: AuditEvent): Promise<boolean>;
  /**
   * Records one operator's decision on a pending, unexpired request and counts
   * the quorum, with the audit row `audit` builds from the result (none when
   * it returns undefined), all in one transaction.
   */
  recordDecision(decision: NewDecision, audit: (result: DecisionResult) => AuditEvent | undefined): Promise<DecisionResult>;
  decisionsOf(id: string): Promise<DecisionRow[]>;
  /** Claims the pending requests whose reminder (or escalation) is due and unsent, auditing each in the claim's transaction. */
  claimDueReminders(kind: ReminderKind, now: Date, audit: (row: ApprovalRow) => AuditEvent): Promise<ApprovalRow[]>;
  /** Spends an approved request right before an upstream call (API mode; the local store spends it in the transition). */
  consume(id: string, now: Date): Promise<boolean>;
  recordOutcome(id: string, status: "executed" | "failed", outcome: string): Promise<void>;
  countFailedAttempt(id: string): Promise<number>;
}

export interface OperatorsPort {
  list(): Promise<OperatorRow[]>;
  get(name: string): Promise<OperatorRow | undefined>;
  /** The operator a requesting principal is mapped to, if any. */
  ofPrincipal(principal: string): Promise<OperatorRow | undefined>;
  /** False when the name is taken; audited with it. */
  add(operator: OperatorRow, audit: AuditEvent): Promise<boolean>;
  /** False when there was no such operator; audited with it. */
  remove(name: string, audit: AuditEvent): Promise<boolean>;
  setPassphrase(name: string, passphrase: string, audit: AuditEvent): Promise<boolean>;
}

export interface WebhookNoncesPort {
  /** Takes a signed webhook decision's nonce until `expiresAt`; false when it was seen before (a replay). */
  claim(nonce: string, expiresAt: Date, now: Date): Promise<boolean>;
}

export interface GuardSettingsPort {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string, now: Date): Promise<void>;
  /** Stores `value` unless the key has one, and returns the value that stands. */
  settle(key: string, value: string, now: Date): Promise<string>;
  /** Read, change and write back one value, serialised against every other change of that key. */
  update<T>(key: string, change: (current: string | undefined) => { value: string; result: T }, now: Date): Promise<T>;
}

export interface RateLimitsPort {
  /** Takes one token from `bucket` (refilled at `perMinute`, capped there), shared by every process on the store. */
  take(bucket: string, perMinute: number, now: Date): Promise<RateDecision>;
}

export interface AuditPort {
  append(event: AuditEvent, now?: Date): Promise<void>;
  trail(interventionId: string): Promise<AuditRow[]>;
  recent(limit: number): Promise<AuditRow[]>;
  verify(): Promise<ChainVerdict>;
}

export interface SeedPort {
  /** Writes a whole tenant's data set unless the tenant exists; false when it did. */
  seedTenant(seed: TenantSeed, now: Date): Promise<boolean>;
  insertPlaybook(tenantId: string, playbook: Playbook): Promise<void>;
  insertCustomer(tenantId: string, customer: Customer): Promise<void>;
}

/**
 * What retivo_decide_approval answers: approved (the N-th distinct approval), counted (fewer so far), or why nothing
 * changed (the operator decided already, the tier bars them, the request is no longer pending, no passphrase stored, a wrong one).
 */
export type DatabaseApproval = "approved" | "counted" | "repeated" | "excluded" | "not_open" | "no_passphrase" | "wrong_passphrase";

/** The approval the database records: who answered (the operator's name, or human:cli, human:page …), where, their answer (accept …) and note. */
export interface DatabaseAnswer {
  by: string;
  channel: string;
  answer: string;
  note: string | null;
  now: Date;
}

/**
 * The database's own guard (PostgreSQL, migration 10): the operator's
 * passphrase is checked inside the database against a hash the server's role
 * cannot read, and a role that does not own the store (the server's, after
 * `retivo-mcp db init`) can make a request approved only through approve().
 */
export interface DatabaseGuardPort {
  /** Whether the database holds a passphrase for `operator`: then every approval needs it, checked there. */
  passphraseSet(operator: string): Promise<boolean>;
  check(operator: string, passphrase: string): Promise<boolean>;
  /** Checks the passphrase and records the operator's approval of a pending, unexpired request, counting the quorum, with its audit row, in one transaction. */
  approve(id: string, operator: string, passphrase: string, answer: DatabaseAnswer, audit: AuditEvent): Promise<DatabaseApproval>;
  /** Replaces the passphrase given the current one (an administrator's session needs none); false when the current one is wrong. */
  setPassphrase(operator: string, current: string | null, next: string, now: Date): Promise<boolean>;
}

export interface Store {
  readonly engine: "sqlite" | "postgres";
  /** A file path, or a database URL without its password: for messages. */
  readonly location: string;
  readonly interventions: InterventionsPort;
  readonly catalog: CatalogPort;
  readonly deliveries: DeliveriesPort;
  readonly dispatch: DispatchPort;
  readonly rateLimits: RateLimitsPort;
  readonly approvals: ApprovalsPort;
  readonly operators: OperatorsPort;
  readonly guardSettings: GuardSettingsPort;
  readonly webhookNonces: WebhookNoncesPort;
  readonly audit: AuditPort;
  readonly seed: SeedPort;
  /** Present on PostgreSQL: the database's own guard (used once a passphrase is stored there). */
  readonly databaseGuard?: DatabaseGuardPort;
  ping(): Promise<void>;
  close(): Promise<void>;
}

