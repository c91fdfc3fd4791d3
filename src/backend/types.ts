/**
 * The one interface both backends implement: the eight API operations plus the
 * get-by-id the guard and triage need. `buildServer` never knows which it holds.
 */
import type { CompactIntervention } from "../api/compact.js";
import type {
  CreateRequest,
  CreateResponse,
  DetailedIntervention,
  DryRunRequest,
  DryRunResponse,
  FlagResponse,
  StatusResponse,
} from "../api/schemas.js";

export type { ListPage, ListQuery } from "../domain/list.js";
import type { Customer, Playbook, TenantSettings } from "../domain/catalog.js";
import type { ListPage, ListQuery } from "../domain/list.js";
import type { ApprovalToSpend, DeliveryRow } from "../store/port.js";

/**
 * How a guarded action (approve, rollback) is released. `approval` is the
 * human's approval as data: a backend that spends approvals itself (the local
 * store, `spendsApprovals`) spends it in the transition's own transaction,
 * and only for the state it was given for. Over the Retivo API the guard
 * spends it right before the call instead (guard/release.ts).
 */
export interface GuardedActionOptions {
  approval?: ApprovalToSpend;
  /** Who released it, for the audit log (never taken from the agent's arguments). */
  actor?: string;
  /**
   * Change nothing: answer as usual when the intervention is already where the
   * action leads, else throw WouldMoveError. The REST server asks this before
   * it requires the operator passphrase, in the same transaction as the check.
   */
  noOpOnly?: boolean;
  /** The tool call's deadline and the client's cancellation: no upstream request starts after it aborts. */
  signal?: AbortSignal;
}

/**
 * What only the local store can answer (customers, playbooks, tenant
 * settings, deliveries, completions over its indexes): resources, prompts and
 * completions use it when the backend has it, and offer less over the API.
 */
export interface CatalogCapability {
  customer(userId: string): Promise<Customer | undefined>;
  playbook(id: string): Promise<Playbook | undefined>;
  playbooks(): Promise<Playbook[]>;
  settings(): Promise<TenantSettings | undefined>;
  customerIds(prefix: string, limit: number): Promise<string[]>;
  interventionIds(prefix: string, statuses: readonly string[] | undefined, limit: number): Promise<string[]>;
  deliveries(interventionId: string): Promise<DeliveryRow[]>;
  /** `status:version` per id: every change bumps the version (resource subscriptions). */
  versionsOf(ids: readonly string[]): Promise<Map<string, string>>;
}

export type BackendMode = "local" | "api-live" | "api-test";

export interface InterventionsBackend {
  readonly mode: BackendMode;
  /** True when approve and rollback spend `options.approval` themselves, atomically with the transition. */
  readonly spendsApprovals: boolean;
  /** Present over the local store only. */
  readonly catalog?: CatalogCapability;
  list(query: ListQuery, context?: OperationContext): Promise<ListPage>;
  /** The same page as compact rows: what triage lists show by default, cheaper to read and to send. */
  listCompact(query: ListQuery, context?: OperationContext): Promise<ListPage<CompactIntervention>>;
  get(id: string, context?: OperationContext): Promise<DetailedIntervention>;
  create(request: CreateRequest, context?: OperationContext): Promise<CreateResponse>;
  approve(id: string, options?: GuardedActionOptions): Promise<StatusResponse>;
  pause(id: string, context?: OperationContext): Promise<StatusResponse>;
  reject(id: string, reason: string, context?: OperationContext): Promise<StatusResponse>;
  rollback(id: string, reason: string | undefined, options?: GuardedActionOptions): Promise<StatusResponse>;
  flag(id: string, reason: string, context?: OperationContext): Promise<FlagResponse>;
  dryRun(request: DryRunRequest, context?: OperationContext): Promise<DryRunResponse>;
  /**
   * Throws what approve would for lack of consent (the user opted out or was
   * paused after it was planned), so a guard can refuse before asking a human.
   * Only the local store knows its customers; elsewhere approve itself decides.
   */
  assertApprovable?(id: string): Promise<void>;
  /** Cheap reachability check for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Per-call context from the MCP request: how the writer may reach the client's
 * model, cancellation and progress, and the call's deadline. Backends ignore
 * what they do not need.
 */
export interface OperationContext {
  /**
   * Aborts when the tool call's deadline passes or the client cancels it: the
   * HTTP backend stops its requests and retry waits, and starts no change after it.
   */
  signal?: AbortSignal;
  writer?: import("../writer/types.js").WriterCallContext;
  /** Who is calling, for the audit log: 'agent:<client name>', 'rest:<key label>', … */
  actor?: string;
  /** Dry-run only: also return the drafted message as `preview` (our extension of the API). */
  preview?: boolean;
  /**
   * Create only: the caller's Idempotency-Key. The same key with the same
   * request within 24 h returns the first answer; with another request, a 409.
   */
  idempotencyKey?: string;
}
