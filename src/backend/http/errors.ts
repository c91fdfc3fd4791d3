/**
 * Turning an upstream failure into our error vocabulary. The upstream `{error}`
 * text is passed on (trimmed, with the key scrubbed in case the server echoes
 * it); a body that is not the documented JSON is described, never echoed.
 */
import { ErrorResponseSchema } from "../../api/schemas.js";
import {
  AuthError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
  RetivoError,
  UpstreamError,
} from "../../errors.js";

const MAX_UPSTREAM_TEXT = 300;

/**
 * The remote API refused a transition (409). Its text already names the
 * current status; we cannot rebuild IllegalTransitionError's fields from it,
 * so this carries the same code and status with the upstream's words.
 */
export class UpstreamTransitionError extends RetivoError {
  readonly code = "illegal_transition";
  readonly httpStatus = 409;
}

/**
 * A change (create) was sent and no readable answer came back (a timeout, a
 * reset, a 5xx, a mangled body): it may have happened upstream. The caller
 * decides how to say so and how a retry avoids a second one.
 */
export class OutcomeUnknownError extends UpstreamError {}

/** Network failures that happen before a request leaves: nothing can have reached the API. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

export function neverSent(error: unknown): boolean {
  return NOT_SENT.has((error as { code?: string }).code ?? "");
}

/** What an error body says, if it is the documented `{ error }` JSON. */
export function upstreamErrorText(body: string, secret: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const result = ErrorResponseSchema.safeParse(parsed);
  if (!result.success) return undefined;
  const { error, current, limit, upgrade_to } = result.data;
  let text = error.replace(/\s+/g, " ").trim();
  if (current !== undefined && limit !== undefined) {
    text += ` (plan limit: ${current} of ${limit}${upgrade_to ? `; upgrade to ${upgrade_to}` : ""})`;
  }
  return scrub(truncate(text), secret);
}

/** How to mention a body we will not echo. */
export function describeBody(body: string, contentType: string | undefined): string {
  const type = contentType?.split(";")[0]?.trim() || "no content type";
  return body.length === 0 ? "an empty body" : `a non-JSON body (${type}, ${Buffer.byteLength(body)} bytes)`;
}

export function scrub(text: string, secret: string): string {
  return secret ? text.split(secret).join("[redacted]") : text;
}

function truncate(text: string): string {
  return text.length <= MAX_UPSTREAM_TEXT ? text : `${text.slice(0, MAX_UPSTREAM_TEXT - 1)}…`;
}

export interface FailedCall {
  /** e.g. "PUT /api/interventions/int_1/approve" */
  operation: string;
  status: number;
  /** The upstream `{error}` text, or a description of the body when it was not that. */
  upstreamText: string | undefined;
  bodyDescription: string;
  attempts: number;
  retryAfterMs?: number;
}

function said(call: FailedCall): string {
  return call.upstreamText ? `: ${call.upstreamText}` : ` with ${call.bodyDescription}`;
}

export function errorForStatus(call: FailedCall): RetivoError {
  const { status, operation } = call;
  switch (status) {
    case 400:
    case 422:
      return new InvalidInputError(
        `The Retivo API refused ${operation} as invalid (HTTP ${status})${said(call)}.`,
        "Fix the arguments and try again.",
      );
    case 401:
      return new AuthError(
        `The Retivo API rejected the API key (HTTP 401)${said(call)}.`,
        "The key in RETIVO_API_KEY is wrong, revoked or expired: copy a current rt_live_/rt_test_ key from your Retivo settings.",
      );
    case 403:
      return new ForbiddenError(
        `The Retivo API refused ${operation} for this API key (HTTP 403)${said(call)}.`,
        "The key lacks the scope (or plan) for this operation: use a key that has it, or ask the account owner.",
      );
    case 404:
      return new NotFoundError(
        `The Retivo API found nothing for ${operation} (HTTP 404)${said(call)}.`,
        "Check the id: take intervention ids from list_interventions and user/playbook ids from dry_run_intervention.",
      );
    case 409:
      return new UpstreamTransitionError(
        `The Retivo API refused ${operation} (HTTP 409)${said(call)}.`,
        "The intervention is not in a status this action is allowed from: read its current status with get_intervention.",
      );
    case 429: {
      const seconds = Math.ceil((call.retryAfterMs ?? 60_000) / 1000);
      return new RateLimitedError(
        `The Retivo API is rate limiting this key (HTTP 429 after ${call.attempts} attempt${call.attempts === 1 ? "" : "s"}).`,
        seconds,
        `Wait ${seconds} s before calling again.`,
      );
    }
    default:
      if (status >= 500) {
        return new UpstreamError(
          `The Retivo API is failing: ${operation} answered HTTP ${status} after ${call.attempts} attempt${call.attempts === 1 ? "" : "s"}${said(call)}.`,
          "Upstream is failing, not your request: try again in a minute, and check Retivo's status if it persists.",
        );
      }
      return new UpstreamError(
        `The Retivo API answered ${operation} with unexpected HTTP ${status}${said(call)}.`,
        "This client does not know that answer; report it if it persists.",
      );
  }
}
