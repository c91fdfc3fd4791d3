/**
 * The small error vocabulary. Handlers throw these; one boundary (mcp/result.ts
 * for MCP, rest/errors.ts for REST) turns them into results. Every message says
 * what happened and what to do next, because the reader is often an LLM.
 */
export interface RetivoErrorOptions {
  /**
   * What a REST caller should do next, where `hint` speaks of MCP tools or
   * resources (list_interventions, retivo://…) that a REST client does not have.
   */
  restHint?: string;
}

export abstract class RetivoError extends Error {
  abstract readonly code: string;
  /** HTTP status the local REST server answers with. */
  abstract readonly httpStatus: number;
  readonly restHint: string | undefined;
  constructor(
    message: string,
    /** What the caller should do next: written for an MCP client (often an LLM). */
    readonly hint?: string,
    options: RetivoErrorOptions = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.restHint = options.restHint;
  }
}

export class InvalidInputError extends RetivoError {
  readonly code = "invalid_input";
  readonly httpStatus = 400;
}

export class NotFoundError extends RetivoError {
  readonly code = "not_found";
  readonly httpStatus = 404;
}

/** An action not allowed from the intervention's current status. */
export class IllegalTransitionError extends RetivoError {
  readonly code = "illegal_transition";
  readonly httpStatus = 409;
  constructor(
    readonly action: string,
    readonly id: string,
    readonly current: string,
    readonly allowedFrom: readonly string[],
  ) {
    super(
      `Cannot ${action} ${id}: its status is '${current}', and ${action} is allowed only from ${allowedFrom
        .map((s) => `'${s}'`)
        .join(", ")}.`,
      "Call list_interventions or get_intervention to see its current state before acting again.",
      { restHint: `GET /api/interventions/${id} shows its current state; read it before acting again.` },
    );
  }
}

/** The intervention changed between reading and writing (lost a race or edited since approval). */
export class ConflictError extends RetivoError {
  readonly code = "conflict";
  readonly httpStatus = 409;
}

/** A guarded action that a human did not (or not validly) approve. */
export class ApprovalRefusedError extends RetivoError {
  readonly code = "approval_refused";
  readonly httpStatus = 403;
}

export class ReadOnlyError extends RetivoError {
  readonly code = "read_only";
  readonly httpStatus = 403;
}

export class AuthError extends RetivoError {
  readonly code = "unauthorized";
  readonly httpStatus = 401;
}

export class ForbiddenError extends RetivoError {
  readonly code = "forbidden";
  readonly httpStatus = 403;
}

export class RateLimitedError extends RetivoError {
  readonly code = "rate_limited";
  readonly httpStatus = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    hint?: string,
  ) {
    super(message, hint);
  }
}

/**
 * A tool call stopped before the upstream answered: its deadline passed
 * (RETIVO_CALL_TIMEOUT_SECONDS) or the client cancelled it. Nothing more is
 * sent after that; the message says whether a change was already in flight.
 */
export class DeadlineExceededError extends RetivoError {
  readonly code = "deadline_exceeded";
  readonly httpStatus = 504;
  constructor(
    message: string,
    hint?: string,
    /** A change had been sent when it stopped: it may have taken effect. */
    readonly changeInFlight = false,
  ) {
    super(message, hint);
  }
}

/** The remote API failed, timed out or answered something we could not read. */
export class UpstreamError extends RetivoError {
  readonly code = "upstream_error";
  readonly httpStatus = 502;
}

/**
 * The store cannot be written for a reason only the operator can fix: a
 * read-only file or folder, a full disk, a damaged file. Retrying does not
 * help, so the agent is told to hand it to a human, and the operator gets one
 * line naming the file and the cause (store-faults.ts builds these).
 */
export class StoreUnavailableError extends RetivoError {
  readonly code = "store_unavailable";
  readonly httpStatus = 503;
  constructor(
    /** The SQLite file, or the database URL without its password. */
    readonly file: string,
    /** What is wrong, in words, e.g. "the disk is full (SQLITE_FULL)". */
    readonly problem: string,
    engine: "sqlite" | "postgres" = "sqlite",
  ) {
    super(
      engine === "sqlite"
        ? `The store cannot be written: ${file}: ${problem}. Nothing was changed.`
        : `The store's database cannot be used: ${file}: ${problem}. Nothing was changed.`,
      engine === "sqlite"
        ? "This needs the operator (a file permission, disk space or a damaged file), not a retry: tell the human what this says; calls that change state fail until it is fixed."
        : "This needs the operator (the PostgreSQL server, its credentials or its disk): tell the human what this says; calls fail until the server is back, and work again by themselves once it is.",
    );
  }
}

export class ConfigError extends RetivoError {
  readonly code = "config_error";
  readonly httpStatus = 500;
}

/**
 * One line for a human or an LLM: the message, then the hint for the surface
 * that answers (the MCP tools, or the REST API, which speaks of endpoints).
 */
export function describeError(error: RetivoError, surface: "mcp" | "rest" = "mcp"): string {
  const hint = surface === "rest" ? (error.restHint ?? error.hint) : error.hint;
  return hint ? `${error.message} ${hint}` : error.message;
}
