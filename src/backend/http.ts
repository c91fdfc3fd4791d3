/**
 * HttpBackend: the eight operations against the remote Retivo API. Request
 * bodies are exactly the contract's; every answer is validated by the schemas
 * in api/schemas.ts. What the API lacks (filters, cursor, get-by-id) is done
 * over a window of the most recent interventions, and said so (http/window.ts).
 *
 * Retries (http/client.ts): GET, the PUT actions (a repeat is a no-op by the
 * domain rules) and dry-run (persists nothing) are retried on timeouts,
 * network errors, 5xx and 429. Create is sent once per call, with an
 * Idempotency-Key: when its answer is lost, the agent is told it may have
 * happened, and its retry of the same create reuses the key and first looks
 * for the intervention the lost one made (http/lost-creates.ts).
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
import { DeadlineExceededError, NotFoundError } from "../errors.js";
import type { Logger } from "../log.js";
import { ApiClient, type ApiClientOptions } from "./http/client.js";
import { OutcomeUnknownError } from "./http/errors.js";
import { LOST_CREATE_WINDOW_MS, LostCreates } from "./http/lost-creates.js";
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
  /** The API cannot spend an approval with its change: the guard spends it right before the call. */
  readonly spendsApprovals = false;
  readonly mode: BackendMode;
  private readonly client: ApiClient;
  private readonly listWindow: number;
  private readonly logger: Logger;
  private readonly lostCreates = new LostCreates();

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

  async list(query: ListQuery, context?: OperationContext): Promise<WindowedListPage> {
    const requested = windowSizeFor(query, this.listWindow);
    return pageFromWindow(await this.fetchWindow(requested, context?.signal), query, requested, this.listWindow);
  }

  /** The API has no compact view: the same window, mapped locally. */
  async listCompact(query: ListQuery, context?: OperationContext): Promise<WindowedListPage<CompactIntervention>> {
    const page = await this.list(query, context);
    return { ...page, interventions: page.interventions.map((row) => compactRow(row)) };
  }

  async get(id: string, context?: OperationContext): Promise<DetailedIntervention> {
    const items = await this.fetchWindow(this.listWindow, context?.signal);
    const found = items.find((item) => item.id === id);
    if (found) return found;
    throw new NotFoundError(
      items.length < this.listWindow
        ? `No intervention with id '${id}' among the ${items.length} interventions the Retivo API listed (asked for up to ${this.listWindow}).`
        : `No intervention with id '${id}' within the ${items.length} most recent interventions; the Retivo API lists no further back, so an older one cannot be found through it.`,
      "Use an id returned by list_interventions.",
    );
  }

  async create(request: CreateRequest, context?: OperationContext): Promise<CreateResponse> {
    const { user_id, playbook_id, channel } = request;
    const attempt = this.lostCreates.attempt(request);
    if (attempt.retry) {
      // The last create like this one may have happened: find it rather than make another.
      const found = this.lostCreates.findLost(request, attempt.since, await this.fetchWindow(Math.min(this.listWindow, 100), context?.signal));
      if (found) {
        this.lostCreates.settled(request, found.id);
        this.logger.info({ id: found.id }, "a create whose answer was lost had happened; returning it");
        return { id: found.id, status: found.status, channel: found.channel, planned_at: found.planned_at, recovered_from_lost_answer: true };
      }
    }
    try {
      const created = await this.client.call(
        {
          method: "POST",
          path: "/api/interventions",
          body: { user_id, playbook_id, channel },
          schema: CreateResponseSchema,
          retryable: false,
          headers: { "idempotency-key": attempt.key },
        },
        context?.signal,
      );
      this.lostCreates.settled(request, created.id);
      return created;
    } catch (error) {
      if (!(error instanceof OutcomeUnknownError) && !(error instanceof DeadlineExceededError && error.changeInFlight)) {
        this.lostCreates.settled(request);
        throw error;
      }
      this.lostCreates.answerLost(request, attempt);
      throw new OutcomeUnknownError(
        `${error.message} The create may have happened upstream.`,
        `Call create_intervention again with the same user_id, playbook_id and channel within ${LOST_CREATE_WINDOW_MS / 60_000} minutes: ` +
          `it returns the intervention if the lost call made one (same Idempotency-Key, and a look for it first) instead of creating a second. ` +
          `Or check with list_interventions user_id=${user_id}.`,
      );
    }
  }

  /** The guard has spent the approval right before this call (guard/release.ts): the API only hears the PUT. */
  async approve(id: string, options: GuardedActionOptions = {}): Promise<StatusResponse> {
    return this.action(id, "approve", undefined, options.signal);
  }

  async pause(id: string, context?: OperationContext): Promise<StatusResponse> {
    return this.action(id, "pause", undefined, context?.signal);
  }

  async reject(id: string, reason: string, context?: OperationContext): Promise<StatusResponse> {
    return this.action(id, "reject", { reason }, context?.signal);
  }

  async rollback(id: string, reason: string | undefined, options: GuardedActionOptions = {}): Promise<StatusResponse> {
    return this.action(id, "rollback", reason === undefined ? {} : { reason }, options.signal);
  }

  async flag(id: string, reason: string, context?: OperationContext): Promise<FlagResponse> {
    return this.client.call(
      {
        method: "PUT",
        path: `/api/interventions/${encodeURIComponent(id)}/flag`,
        body: { reason },
        schema: FlagResponseSchema,
        retryable: true,
      },
      context?.signal,
    );
  }

  async dryRun(request: DryRunRequest, context?: OperationContext): Promise<DryRunResponse> {
    // playbook_id and channel are our documented extension; the API's example body is { user_id } alone.
    const body: DryRunRequest = { user_id: request.user_id };
    if (request.playbook_id !== undefined) body.playbook_id = request.playbook_id;
    if (request.channel !== undefined) body.channel = request.channel;
    return this.client.call(
      {
        method: "POST",
        path: "/api/interventions/dry-run",
        body,
        schema: DryRunResponseSchema,
        retryable: true,
        mutates: false,
      },
      context?.signal,
    );
  }

  async ping(): Promise<void> {
    await this.fetchWindow(1);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async fetchWindow(size: number, signal?: AbortSignal): Promise<DetailedIntervention[]> {
    const response = await this.client.call(
      {
        method: "GET",
        // `limit` is typed string in the API; in a query string it is one anyway.
        path: `/api/interventions?limit=${String(size)}`,
        schema: WindowResponseSchema,
        retryable: true,
      },
      signal,
    );
    return response.interventions;
  }

  private async action(id: string, action: "approve" | "pause" | "reject" | "rollback", body: object | undefined, signal?: AbortSignal): Promise<StatusResponse> {
    return this.client.call(
      {
        method: "PUT",
        path: `/api/interventions/${encodeURIComponent(id)}/${action}`,
        body,
        schema: StatusResponseSchema,
        retryable: true,
      },
      signal,
    );
  }
}
