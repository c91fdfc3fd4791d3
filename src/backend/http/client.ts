/**
 * One HTTP exchange with the Retivo API, done the way a careful client does:
 * a keep-alive pool, a deadline per attempt, retries with backoff only where a
 * repeat cannot do harm, Retry-After honoured, and every answer validated.
 * The caller's signal (the tool call's deadline, the client's cancellation)
 * ends attempts and waits at once, and no attempt starts after it aborted.
 * The key lives only in the Authorization header; nothing here logs headers.
 */
import { Agent, request } from "undici";
import type { z } from "zod";
import { DeadlineExceededError, RetivoError, UpstreamError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { describeBody, errorForStatus, neverSent, OutcomeUnknownError, scrub, upstreamErrorText } from "./errors.js";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfterMs, sleep, type RetryPolicy } from "./retry.js";

export interface ApiClientOptions {
  apiUrl: string;
  apiKey: string;
  logger: Logger;
  /** Deadline of one attempt, headers and body together. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Larger answers are refused rather than buffered without bound. */
  maxResponseBytes?: number;
  userAgent?: string;
}

export interface ApiCall<T> {
  method: "GET" | "POST" | "PUT";
  /** Path and query, e.g. `/api/interventions?limit=50`. */
  path: string;
  body?: unknown;
  schema: z.ZodType<T>;
  /**
   * Whether a repeat is harmless: GET, the PUT actions (idempotent by the
   * domain rules) and dry-run (persists nothing). Create only with an
   * Idempotency-Key.
   */
  retryable: boolean;
  /** Extra request headers (Idempotency-Key). */
  headers?: Record<string, string>;
  /** Whether it changes anything upstream: a cut one may have taken effect. Default: not a GET. */
  mutates?: boolean;
}

interface RawResponse {
  status: number;
  contentType: string | undefined;
  retryAfter: string | string[] | undefined;
  text: string;
}

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

export class ApiClient {
  private readonly agent: Agent;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: ApiClientOptions) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
    this.agent = new Agent({
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      connections: 8,
      // Our own AbortController enforces the deadline; these only back it up.
      headersTimeout: this.timeoutMs + 1000,
      bodyTimeout: this.timeoutMs + 1000,
    });
  }

  async call<T>(call: ApiCall<T>, signal?: AbortSignal): Promise<T> {
    const operation = `${call.method} ${call.path.split("?")[0]}`;
    const maxAttempts = call.retryable ? Math.max(1, this.policy.attempts) : 1;
    for (let attempt = 1; ; attempt++) {
      // Never start a request, least of all a change, for a caller that has given up.
      if (signal?.aborted) throw stoppedError(signal, operation, false);
      const started = Date.now();
      let response: RawResponse;
      const mutates = call.mutates ?? call.method !== "GET";
      try {
        response = await this.send(call, signal);
      } catch (error) {
        if (signal?.aborted) throw stoppedError(signal, operation, mutates);
        const failure = this.transportError(error, operation, attempt);
        if (attempt >= maxAttempts) throw mutates && !neverSent(error) ? outcomeUnknown(failure) : failure;
        await this.pause(operation, attempt, backoffDelayMs(attempt, this.policy), failure.message, signal);
        continue;
      }
      this.options.logger.debug({ operation, status: response.status, attempt, ms: Date.now() - started }, "retivo api call");
      if (response.status >= 200 && response.status < 300) {
        try {
          return this.parse(call.schema, response, operation);
        } catch (error) {
          // Accepted, but the answer cannot be read: the change happened and we do not know its result.
          throw mutates && error instanceof RetivoError ? outcomeUnknown(error) : error;
        }
      }

      const retryAfterMs = parseRetryAfterMs(response.retryAfter);
      const failure = errorForStatus({
        operation,
        status: response.status,
        upstreamText: upstreamErrorText(response.text, this.options.apiKey),
        bodyDescription: describeBody(response.text, response.contentType),
        attempts: attempt,
        retryAfterMs,
      });
      if (!RETRYABLE_STATUSES.has(response.status) || attempt >= maxAttempts) {
        throw mutates && response.status >= 500 ? outcomeUnknown(failure) : failure;
      }
      if (retryAfterMs !== undefined && retryAfterMs > this.policy.maxRetryAfterMs) {
        // Waiting less than asked would only earn another refusal; hand the wait to the caller.
        throw failure;
      }
      await this.pause(operation, attempt, retryAfterMs ?? backoffDelayMs(attempt, this.policy), `HTTP ${response.status}`, signal);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async pause(operation: string, attempt: number, delayMs: number, reason: string, signal: AbortSignal | undefined): Promise<void> {
    this.options.logger.warn({ operation, attempt, delayMs, reason }, "retivo api call failed; retrying");
    try {
      await sleep(delayMs, signal);
    } catch {
      throw stoppedError(signal!, operation, false);
    }
  }

  private async send(call: ApiCall<unknown>, signal: AbortSignal | undefined): Promise<RawResponse> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new AttemptTimeout()), this.timeoutMs);
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${this.options.apiKey}`,
        accept: "application/json",
        "user-agent": this.options.userAgent ?? "retivo-mcp",
        ...call.headers,
      };
      if (call.body !== undefined) headers["content-type"] = "application/json";
      const { statusCode, headers: responseHeaders, body } = await request(`${this.options.apiUrl}${call.path}`, {
        dispatcher: this.agent,
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: signal ? AbortSignal.any([controller.signal, signal]) : controller.signal,
      });
      let size = 0;
      const chunks: Buffer[] = [];
      for await (const chunk of body) {
        size += (chunk as Buffer).length;
        if (size > this.maxResponseBytes) {
          body.destroy();
          throw new UpstreamError(`The Retivo API answered with more than ${this.maxResponseBytes} bytes; refusing to read it.`);
        }
        chunks.push(chunk as Buffer);
      }
      const contentType = responseHeaders["content-type"];
      return {
        status: statusCode,
        contentType: Array.isArray(contentType) ? contentType[0] : contentType,
        retryAfter: responseHeaders["retry-after"],
        text: Buffer.concat(chunks).toString("utf8"),
      };
    } catch (error) {
      if (controller.signal.aborted) throw new AttemptTimeout();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private transportError(error: unknown, operation: string, attempts: number): RetivoError {
    if (error instanceof RetivoError) return error;
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
    if (error instanceof AttemptTimeout) {
      return new UpstreamError(
        `The Retivo API did not answer ${operation} within ${this.timeoutMs} ms (${tries}).`,
        "Upstream is slow or unreachable: try again shortly.",
      );
    }
    const code = (error as { code?: string }).code ?? (error as Error).name ?? "network error";
    return new UpstreamError(
      scrub(`The Retivo API could not be reached for ${operation} (${code}, ${tries}).`, this.options.apiKey),
      "Check RETIVO_API_URL and the network, then try again.",
    );
  }

  private parse<T>(schema: z.ZodType<T>, response: RawResponse, operation: string): T {
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw new UpstreamError(
        `The Retivo API answered ${operation} with ${describeBody(response.text, response.contentType)} where JSON was expected.`,
        "Check that RETIVO_API_URL points at the Retivo API itself, not a proxy or web page.",
      );
    }
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    const problems = result.error.issues
      .slice(0, 3)
      .map((issue) => `${formatPath(issue.path)}: ${issue.message}`)
      .join("; ");
    throw new UpstreamError(
      `The Retivo API answered ${operation} with an unexpected shape (${problems}).`,
      "The upstream contract may have changed; update retivo-mcp or report it.",
    );
  }
}

function outcomeUnknown(failure: RetivoError): OutcomeUnknownError {
  return new OutcomeUnknownError(failure.message, failure.hint);
}

/** One attempt's own deadline (timeoutMs), as opposed to the caller's. */
class AttemptTimeout extends Error {
  constructor() {
    super("attempt deadline exceeded");
    this.name = "AttemptTimeout";
  }
}

/**
 * The caller's signal aborted. Its reason says which (the tool call's
 * DeadlineExceededError, or a client's cancellation); the message adds whether
 * a change was already on the wire.
 */
export function stoppedError(signal: AbortSignal, operation: string, changeInFlight: boolean): RetivoError {
  const reason = signal.reason as unknown;
  const why = reason instanceof RetivoError ? reason.message : "The client cancelled the call.";
  if (changeInFlight) {
    return new DeadlineExceededError(
      `${why} ${operation} had already been sent, so it may or may not have taken effect upstream.`,
      "Check the intervention's current state with get_intervention (or list_interventions) before calling again.",
      true,
    );
  }
  return new DeadlineExceededError(`${why} It stopped before ${operation} was answered; nothing more was sent.`, "Try again shortly: the Retivo API is slow right now.");
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(the whole body)";
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}
