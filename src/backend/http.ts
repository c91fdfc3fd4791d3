/**
 * HttpBackend: the eight operations against the remote Retivo API. Request
 * bodies are exactly the contract's; every answer is validated by the schemas
 * in api/schemas.ts. What the API lacks (filters, cursor, get-by-id) is done
 * over a window of the most recent interventions, and said so (http/window.ts).
 *
 * Retries (http/client.ts): GET, the PUT actions (a repeat is a no-op by the
 * domain rules) and dry-run (persists nothing) are retried on timeouts,
 * network errors, 5xx and 429. Create is sent exactly once: a repeat after a
 * lost answer could plan the same message twice.
 */
import {
  CreateResponseSchema,
  DetailedInterventionSchema,
  DryRunResponseSchema,
  FlagResponseSchema,
  StatusResponseSchema,
  type CreateRequest,
  type CreateResponse,
  type DetailedIntervention,
  type DryRunRequest,
  type DryRunResponse,
  type FlagResponse,
  type StatusResponse,
} from "../api/schemas.js";
import { z } from "zod";
import type { KeyMode } from "../config.js";
import { keyModeOf } from "../config.js";
import { NotFoundError } from "../errors.js";
import type { Logger } from "../log.js";
import { ApiClient, type ApiClientOptions } from "./http/client.js";
import type { RetryPolicy } from "./http/retry.js";
import { compactRow, type CompactIntervention } from "../api/compact.js";
import { pageFromWindow, windowSizeFor, type WindowedListPage } from "./http/window.js";
import type { BackendMode, GuardedActionOptions, InterventionsBackend, ListQuery, OperationContext } from "./types.js";

export interface HttpBackendOptions {
  apiUrl: string;
  apiKey: string;
  /** Derived from the key's prefix when absent. */
  keyMode?: KeyMode;
  logger: Logger;
  /** Per attempt, headers and body together. Default 15 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** The most interventions one list call asks for; filters, paging and get work within it. Default 500. */
  listWindow?: number;
  /** Accepted so that `{ ...config.backend }` can be spread in; ignored. */
  kind?: "api";
}

/** The list response, with each intervention read as our detailed shape (extras optional). */
const WindowResponseSchema = z.looseObject({ interventions: z.array(DetailedInterventionSchema) });

export class HttpBackend implements InterventionsBackend {
  readonly mode: BackendMode;
  private readonly client: ApiClient;
  private readonly listWindow: number;
  private readonly logger: Logger;

  constructor(options: HttpBackendOptions) {
    const keyMode = options.keyMode ?? keyModeOf(options.apiKey);
    this.mode = keyMode === "live" ? "api-live" : "api-test";
    this.listWindow = options.listWindow ?? 500;
    this.logger = options.logger;
    const clientOptions: ApiClientOptions = {
      apiUrl: options.apiUrl.replace(/\/+$/, ""),
      apiKey: options.apiKey,
      logger: options.logger,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
    };
    this.client = new ApiClient(clientOptions);
  }

  async list(query: ListQuery): Promise<WindowedListPage> {
    const requested = windowSizeFor(query, this.listWindow);
    return pageFromWindow(await this.fetchWindow(requested), query, requested, this.listWindow);
  }

  /** The API has no compact view: the same window, mapped locally. */
  async listCompact(query: ListQuery): Promise<WindowedListPage<CompactIntervention>> {
    const page = await this.list(query);
    return { ...page, interventions: page.interventions.map((row) => compactRow(row)) };
  }

  async get(id: string): Promise<DetailedIntervention> {
    const items = await this.fetchWindow(this.listWindow);
    const found = items.find((item) => item.id === id);
    if (found) return found;
    throw new NotFoundError(
      items.length < this.listWindow
        ? `No intervention with id '${id}' among the ${items.length} interventions the Retivo API listed (asked for up to ${this.listWindow}).`
        : `No intervention with id '${id}' within the ${items.length} most recent interventions; the Retivo API lists no further back, so an older one cannot be found through it.`,
      "Use an id returned by list_interventions.",
    );
  }

  async create(request: CreateRequest): Promise<CreateResponse> {
    const { user_id, playbook_id, channel } = request;
    return this.client.call({
      method: "POST",
      path: "/api/interventions",
      body: { user_id, playbook_id, channel },
      schema: CreateResponseSchema,
      retryable: false,
    });
  }

  async approve(id: string, options: GuardedActionOptions = {}): Promise<StatusResponse> {
    const already = await this.checkGuard(id, "approved", options);
    return already ?? this.action(id, "approve", undefined);
  }

  async pause(id: string): Promise<StatusResponse> {
    return this.action(id, "pause", undefined);
  }

  async reject(id: string, reason: string): Promise<StatusResponse> {
    return this.action(id, "reject", { reason });
  }

  async rollback(id: string, reason: string | undefined, options: GuardedActionOptions = {}): Promise<StatusResponse> {
    const already = await this.checkGuard(id, "rolled_back", options);
    return already ?? this.action(id, "rollback", reason === undefined ? {} : { reason });
  }

  async flag(id: string, reason: string): Promise<FlagResponse> {
    return this.client.call({
      method: "PUT",
      path: `/api/interventions/${encodeURIComponent(id)}/flag`,
      body: { reason },
      schema: FlagResponseSchema,
      retryable: true,
    });
  }

  async dryRun(request: DryRunRequest, _context?: OperationContext): Promise<DryRunResponse> {
    // playbook_id and channel are our documented extension; the API's example body is { user_id } alone.
    const body: DryRunRequest = { user_id: request.user_id };
    if (request.playbook_id !== undefined) body.playbook_id = request.playbook_id;
    if (request.channel !== undefined) body.channel = request.channel;
    return this.client.call({
      method: "POST",
      path: "/api/interventions/dry-run",
      body,
      schema: DryRunResponseSchema,
      retryable: true,
    });
  }

  async ping(): Promise<void> {
    await this.fetchWindow(1);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async fetchWindow(size: number): Promise<DetailedIntervention[]> {
    const response = await this.client.call({
      method: "GET",
      // `limit` is typed string in the API; in a query string it is one anyway.
      path: `/api/interventions?limit=${String(size)}`,
      schema: WindowResponseSchema,
      retryable: true,
    });
    return response.interventions;
  }

  /**
   * The human approved one exact state of the intervention: check it is still
   * that state, spend the approval, then act. Already at the target, nothing is
   * sent and nothing spent (as in the local store): a PUT there would act on a
   * stale read, e.g. re-approve what an operator paused a moment later.
   * Returns the answer to give without a PUT, or undefined to go ahead.
   */
  private async checkGuard(id: string, target: string, options: GuardedActionOptions): Promise<StatusResponse | undefined> {
    if (!options.verify && !options.consumeApproval) return undefined;
    const current = await this.get(id);
    if (current.status === target) return { id, status: current.status };
    options.verify?.(current);
    options.consumeApproval?.();
    if (options.actor) this.logger.info({ id, target, actor: options.actor }, "guarded action released");
    return undefined;
  }

  private async action(id: string, action: "approve" | "pause" | "reject" | "rollback", body: object | undefined): Promise<StatusResponse> {
    return this.client.call({
      method: "PUT",
      path: `/api/interventions/${encodeURIComponent(id)}/${action}`,
      body,
      schema: StatusResponseSchema,
      retryable: true,
    });
  }
}
