/**
 * The one interface both backends implement: the eight API operations plus the
 * get-by-id the guard and triage need. `buildServer` never knows which it holds.
 */
import type { CompactIntervention } from "../api/compact.js";
import type {
  Channel,
  CreateRequest,
  CreateResponse,
  DetailedIntervention,
  DryRunRequest,
  DryRunResponse,
  FlagResponse,
  Status,
  StatusResponse,
} from "../api/schemas.js";

export interface ListQuery {
  /** Page size, 1..500. */
  limit: number;
  /** Opaque cursor from a previous page's `next_cursor`. */
  cursor?: string;
  status?: Status;
  user_id?: string;
  channel?: Channel;
  flagged?: boolean;
}

export interface ListPage<Row = DetailedIntervention> {
  interventions: Row[];
  /** Pass back as `cursor` for the next page; null when this is the last page. */
  next_cursor: string | null;
  /** Set when the backend could search only part of the data (the API's list window). */
  window?: { scanned: number; complete: boolean; note: string };
}

/**
 * Preconditions for a guarded action (approve, rollback). The local backend
 * runs `verify` and `consumeApproval` inside the same transaction as the
 * transition, so an approval is spent exactly when the change commits and
 * never for a different version of the intervention.
 */
export interface GuardedActionOptions {
  /** Throws (ConflictError) when `current` is not what the human approved. */
  verify?: (current: DetailedIntervention) => void;
  /** Marks the approval used; throws to abort the transition. */
  consumeApproval?: () => void;
  /** Who released it, for the audit log (never taken from the agent's arguments). */
  actor?: string;
  /** The tool call's deadline and the client's cancellation: no upstream request starts after it aborts. */
  signal?: AbortSignal;
}

export type BackendMode = "local" | "api-live" | "api-test";

export interface InterventionsBackend {
  readonly mode: BackendMode;
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
