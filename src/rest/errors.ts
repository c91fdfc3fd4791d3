/**
 * The REST boundary of the error vocabulary: a thrown RetivoError becomes its
 * httpStatus and an `{ error }` body; anything else is a 500 that says nothing
 * about internals (the log has the details).
 */
import { describeError, RateLimitedError, RetivoError, StoreUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";

export class PayloadTooLargeError extends RetivoError {
  readonly code = "payload_too_large";
  readonly httpStatus = 413;
}

export class MethodNotAllowedError extends RetivoError {
  readonly code = "method_not_allowed";
  readonly httpStatus = 405;
  constructor(
    message: string,
    readonly allow: string[],
  ) {
    super(message);
  }
}

export interface ErrorReply {
  status: number;
  body: { error: string };
  headers: Record<string, string>;
}

export function errorReply(error: unknown, logger: Logger): ErrorReply {
  if (error instanceof RetivoError) {
    const headers: Record<string, string> = {};
    // The operator's line: the file and the cause, no stack.
    if (error instanceof StoreUnavailableError) logger.error({ code: error.code, file: error.file }, error.message);
    if (error instanceof RateLimitedError) headers["retry-after"] = String(error.retryAfterSeconds);
    if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(", ");
    if (error.httpStatus === 401) headers["www-authenticate"] = 'Bearer realm="retivo"';
    return { status: error.httpStatus, body: { error: describeError(error, "rest") }, headers };
  }
  logger.error({ err: error }, "REST request failed unexpectedly");
  return { status: 500, body: { error: "Internal error in the local Retivo server; see its log." }, headers: {} };
}
