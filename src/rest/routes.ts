/**
 * The eight Interventions API operations (plus our get-by-id extension) as
 * REST handlers over a backend. Inputs are parsed with the contract's own
 * schemas; the caller's key label is the actor in the audit log, because on
 * this server the caller is the operator and approve/rollback are their acts.
 */
import { z } from "zod";
import {
  CreateRequestSchema,
  DryRunRequestSchema,
  FlagRequestSchema,
  InterventionIdSchema,
  ListQueryWireSchema,
  RejectRequestSchema,
  RollbackRequestSchema,
} from "../api/schemas.js";
import type { StatusResponse } from "../api/schemas.js";
import type { GuardedActionOptions, InterventionsBackend } from "../backend/types.js";
import { WouldMoveError, type GuardedAction } from "../domain/status-machine.js";
import { InvalidInputError } from "../errors.js";
import type { RestKey } from "./keys.js";

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

export interface RouteContext {
  backend: InterventionsBackend;
  key: RestKey;
  id: string;
  query: URLSearchParams;
  /** Reads the JSON body on demand (undefined when empty). */
  body: () => Promise<unknown>;
  /** A request header (first value). */
  header: (name: string) => string | undefined;
  /** Throws unless the caller presented the operator passphrase (when the store has one) and the approval policy lets one operator do `action` alone. */
  requireOperator: (action: GuardedAction) => Promise<void>;
}

export interface Route {
  method: "GET" | "POST" | "PUT";
  /** Matched against the path; the one capture group, if any, is the intervention id. */
  pattern: RegExp;
  handle: (context: RouteContext) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;
}

/** Idempotency-Key: 1-255 visible ASCII characters (a UUID, say). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKeyOf(context: RouteContext): string | undefined {
  const key = context.header("idempotency-key");
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new InvalidInputError("Idempotency-Key must be 1-255 visible ASCII characters (no spaces).", "Send a UUID, for example, and the same one when retrying the same request.");
  }
  return key;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : what}: ${issue.message}`)
    .join("; ");
  throw new InvalidInputError(`Invalid ${what}: ${problems}.`, "See GET /api/openapi.json for the request shapes.");
}

const ok = (body: unknown, status = 200) => ({ status, body });
/** The wire answer of the four status actions is exactly `{ id, status }`, whatever the backend adds. */
const statusReply = ({ id, status }: StatusResponse) => ok({ id, status });
const actorOf = (key: RestKey) => `rest:${key.label}`;
/**
 * Approve and rollback as the operator. A repeat on an intervention already
 * there changes nothing and needs nothing (domain.md); a real change needs the
 * operator passphrase when one is set. The probe asks for the action with
 * noOpOnly: a no-op answers as usual, a move throws WouldMoveError and
 * changes nothing.
 */
async function asOperator(context: RouteContext, action: GuardedAction, run: (options: GuardedActionOptions) => Promise<StatusResponse>): Promise<StatusResponse> {
  const actor = actorOf(context.key);
  try {
    return await run({ actor, noOpOnly: true });
  } catch (error) {
    if (!(error instanceof WouldMoveError)) throw error;
  }
  await context.requireOperator(action);
  return run({ actor });
}

const idOf = (context: RouteContext) => parse(InterventionIdSchema, context.id, "intervention id");

export const ROUTES: readonly Route[] = [
  {
    method: "GET",
    pattern: /^\/api\/interventions$/,
    async handle({ backend, query }) {
      const wire = parse(ListQueryWireSchema, { limit: query.get("limit") ?? undefined }, "query");
      const limit = wire.limit === undefined ? DEFAULT_LIST_LIMIT : Number(wire.limit);
      if (limit < 1 || limit > MAX_LIST_LIMIT) {
        throw new InvalidInputError(`Invalid query: limit must be between 1 and ${MAX_LIST_LIMIT}; got ${wire.limit}.`);
      }
      const page = await backend.list({ limit });
      return ok({ interventions: page.interventions });
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/interventions$/,
    async handle(context) {
      const idempotencyKey = idempotencyKeyOf(context);
      const request = parse(CreateRequestSchema, await context.body(), "body");
      const created = await context.backend.create(request, { actor: actorOf(context.key), idempotencyKey });
      const { id, status, channel, planned_at } = created;
      // A retry with the same Idempotency-Key gets the first answer, and is told so.
      return { status: 201, body: { id, status, channel, planned_at }, headers: created.idempotent_replayed === true ? { "idempotent-replayed": "true" } : undefined };
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/interventions\/dry-run$/,
    async handle({ backend, key, body }) {
      const request = parse(DryRunRequestSchema, await body(), "body");
      return ok(await backend.dryRun(request, { actor: actorOf(key) }));
    },
  },
  {
    // Our documented extension: the API itself has no get-by-id.
    method: "GET",
    pattern: /^\/api\/interventions\/([^/]+)$/,
    async handle(context) {
      return ok(await context.backend.get(idOf(context)));
    },
  },
  {
    method: "PUT",
    pattern: /^\/api\/interventions\/([^/]+)\/approve$/,
    async handle(context) {
      const id = idOf(context);
      return statusReply(await asOperator(context, "approve", (options) => context.backend.approve(id, options)));
    },
  },
  {
    method: "PUT",
    pattern: /^\/api\/interventions\/([^/]+)\/pause$/,
    async handle(context) {
      return statusReply(await context.backend.pause(idOf(context), { actor: actorOf(context.key) }));
    },
  },
  {
    method: "PUT",
    pattern: /^\/api\/interventions\/([^/]+)\/reject$/,
    async handle(context) {
      const id = idOf(context);
      const { reason } = parse(RejectRequestSchema, await context.body(), "body");
      return statusReply(await context.backend.reject(id, reason, { actor: actorOf(context.key) }));
    },
  },
  {
    method: "PUT",
    pattern: /^\/api\/interventions\/([^/]+)\/rollback$/,
    async handle(context) {
      const id = idOf(context);
      // The body may be `{}` or absent: the reason is optional.
      const { reason } = parse(RollbackRequestSchema, (await context.body()) ?? {}, "body");
      return statusReply(await asOperator(context, "rollback", (options) => context.backend.rollback(id, reason, options)));
    },
  },
  {
    method: "PUT",
    pattern: /^\/api\/interventions\/([^/]+)\/flag$/,
    async handle(context) {
      const id = idOf(context);
      const { reason } = parse(FlagRequestSchema, await context.body(), "body");
      const { flagged } = await context.backend.flag(id, reason, { actor: actorOf(context.key) });
      return ok({ id, flagged });
    },
  },
];
