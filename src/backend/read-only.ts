/**
 * Read-only mode enforced at the backend, not only by hiding write tools: any
 * path that reaches a write (a future tool, a bug in the allow-list, a prompt
 * or resource handler) is refused here with ReadOnlyError. Reads and dry-runs
 * (which persist nothing) pass through unchanged.
 */
import type { CompactIntervention } from "../api/compact.js";
import type { CreateResponse, DetailedIntervention, DryRunRequest, DryRunResponse, FlagResponse, StatusResponse } from "../api/schemas.js";
import { ReadOnlyError } from "../errors.js";
import type { BackendMode, CatalogCapability, InterventionsBackend, ListPage, ListQuery, OperationContext } from "./types.js";

export class ReadOnlyBackend implements InterventionsBackend {
  /** The catalog only reads: passed through. */
  readonly catalog: CatalogCapability | undefined;

  constructor(private readonly inner: InterventionsBackend) {
    this.catalog = inner.catalog;
  }

  get mode(): BackendMode {
    return this.inner.mode;
  }

  get spendsApprovals(): boolean {
    return this.inner.spendsApprovals;
  }

  list(query: ListQuery, context?: OperationContext): Promise<ListPage> {
    return this.inner.list(query, context);
  }

  listCompact(query: ListQuery, context?: OperationContext): Promise<ListPage<CompactIntervention>> {
    return this.inner.listCompact(query, context);
  }

  get(id: string, context?: OperationContext): Promise<DetailedIntervention> {
    return this.inner.get(id, context);
  }

  dryRun(request: DryRunRequest, context?: OperationContext): Promise<DryRunResponse> {
    return this.inner.dryRun(request, context);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  create(): Promise<CreateResponse> {
    return refuse("create");
  }

  approve(): Promise<StatusResponse> {
    return refuse("approve");
  }

  pause(): Promise<StatusResponse> {
    return refuse("pause");
  }

  reject(): Promise<StatusResponse> {
    return refuse("reject");
  }

  rollback(): Promise<StatusResponse> {
    return refuse("rollback");
  }

  flag(): Promise<FlagResponse> {
    return refuse("flag");
  }
}

async function refuse(operation: string): Promise<never> {
  throw new ReadOnlyError(
    `This server runs in read-only mode; ${operation} is refused.`,
    "Ask the operator to restart retivo-mcp without --read-only (RETIVO_READ_ONLY) to make changes.",
  );
}
