/**
 * The Interventions API contract as code (../shared/spec/interventions-api.md).
 *
 * Field names and wire types here are exact. Tool schemas, the HTTP backend's
 * response validation, the local REST server and the OpenAPI document are all
 * derived from these objects; nothing else restates a field list.
 *
 * Response schemas are loose objects: an upstream that adds a field must not
 * break us, but a missing or mistyped documented field is a clear error.
 */
import { z } from "zod";

/** The documented channels. The wire type is a string; we accept only these. */
export const CHANNELS = ["email", "in_app", "webhook"] as const;
export const ChannelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof ChannelSchema>;

/** The status set fixed in domain.md. Upstream may add more, so responses keep `string`. */
export const STATUSES = [
  "planned",
  "approved",
  "paused",
  "rejected",
  "sent",
  "delivered",
  "failed",
  "suppressed",
  "rolled_back",
] as const;
export const StatusSchema = z.enum(STATUSES);
export type Status = z.infer<typeof StatusSchema>;

export const InterventionIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "intervention ids look like int_abc123 (letters, digits, _ and -)");

export const UserIdSchema = z.string().min(1).max(256);

/** Any RFC 4122 layout; a short pattern keeps the published schemas small. */
export const PlaybookIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, "playbook_id must be a UUID, e.g. from dry_run_intervention");
/** Half of a surrogate pair: not text, and SQLite would store it as U+FFFD, altered. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const ReasonSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .refine((text) => !LONE_SURROGATE.test(text), "contains an unpaired UTF-16 surrogate (half of an emoji or other character); send valid Unicode text");

/** ISO-8601 UTC with milliseconds; the `_at` names say so, which keeps the published schemas short. */
const timestamp = z.string();
const nullableTimestamp = timestamp.nullable();

/** The shape domain.md fixes for `quality_checks`; the API itself leaves it untyped. */
export const QualityCheckSchema = z.object({
  name: z.string(),
  passed: z.boolean(),
  severity: z.enum(["error", "warn"]),
  detail: z.string(),
});
export const QualityChecksSchema = z.object({
  passed: z.boolean(),
  checks: z.array(QualityCheckSchema),
});
export type QualityCheck = z.infer<typeof QualityCheckSchema>;
export type QualityChecks = z.infer<typeof QualityChecksSchema>;

/** Who wrote an intervention's text: the writer records this on every intervention. */
export const ProvenanceSchema = z.looseObject({
  provider: z.string(),
  generated: z.boolean().optional().describe("true: a model wrote the text (AI disclosure)"),
  model: z.string(),
  prompt_id: z.string(),
  prompt_hash: z.string(),
  fallback_reason: z.string().optional(),
});
export type Provenance = z.infer<typeof ProvenanceSchema>;

// ---------------------------------------------------------------- the object

/** The intervention object exactly as the list endpoint returns it. */
export const InterventionSchema = z.looseObject({
  id: z.string(),
  user_id: z.string(),
  playbook_id: z.string(),
  status: z.string(),
  channel: z.string(),
  message_body: z.string(),
  reasoning: z.string(),
  confidence: z.number(),
  planned_at: timestamp,
  approved_at: nullableTimestamp,
  sent_at: nullableTimestamp,
  delivered_at: nullableTimestamp,
  flagged: z.boolean(),
  flag_reason: z.string().nullable(),
  quality_checks: z.unknown().describe("null or { passed, checks[] } (see domain.md)"),
});
export type Intervention = z.infer<typeof InterventionSchema>;

/**
 * Fields the local store adds beyond the API object. The HTTP backend leaves
 * them out; consumers must treat every one as optional.
 */
export const InterventionExtrasSchema = z.object({
  version: z.number().optional().describe("Bumped by every change (local store)."),
  subject: z.string().nullable().optional().describe("Email subject line (email channel)."),
  provenance: ProvenanceSchema.nullable().optional(),
  reject_reason: z.string().nullable().optional(),
  rollback_reason: z.string().nullable().optional(),
  origin: z.string().optional(),
  delivery_outcome: z
    .string()
    .optional()
    .describe("pending, delivered, failed, cancelled, or unknown: sent without an answer, the receiver may have it (local store, get only)."),
});
export const DetailedInterventionSchema = InterventionSchema.extend(InterventionExtrasSchema.shape);
export type DetailedIntervention = z.infer<typeof DetailedInterventionSchema>;

// ---------------------------------------------------------------- operations

/** 1. GET /api/interventions — `limit` is a string on the wire. */
export const ListQueryWireSchema = z.object({ limit: z.string().regex(/^\d+$/).optional() });
export const ListResponseSchema = z.looseObject({ interventions: z.array(InterventionSchema) });
export type ListResponse = z.infer<typeof ListResponseSchema>;

/** 2. POST /api/interventions */
export const CreateRequestSchema = z.object({
  user_id: UserIdSchema,
  playbook_id: PlaybookIdSchema,
  channel: ChannelSchema,
});
export type CreateRequest = z.infer<typeof CreateRequestSchema>;
export const CreateResponseSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  channel: z.string(),
  planned_at: z.string(),
});
export type CreateResponse = z.infer<typeof CreateResponseSchema>;

/** 3–6. PUT /api/interventions/{id}/(approve|pause|reject|rollback) */
export const StatusResponseSchema = z.looseObject({ id: z.string(), status: z.string() });
export type StatusResponse = z.infer<typeof StatusResponseSchema>;
export const RejectRequestSchema = z.object({ reason: ReasonSchema });
export const RollbackRequestSchema = z.object({ reason: ReasonSchema.optional() });

/** 7. PUT /api/interventions/{id}/flag */
export const FlagRequestSchema = z.object({ reason: ReasonSchema });
export const FlagResponseSchema = z.looseObject({ id: z.string(), flagged: z.boolean() });
export type FlagResponse = z.infer<typeof FlagResponseSchema>;

/** 8. POST /api/interventions/dry-run — playbook_id and channel are our documented extension. */
export const DryRunRequestSchema = z.object({
  user_id: UserIdSchema,
  playbook_id: PlaybookIdSchema.optional(),
  channel: ChannelSchema.optional(),
});
export type DryRunRequest = z.infer<typeof DryRunRequestSchema>;

export const DRY_RUN_ACTIONS = ["intervene", "skip", "wait", "escalate"] as const;
export const DryRunResponseSchema = z.looseObject({
  dry_run: z.literal(true),
  decision: z.looseObject({
    action: z.string().describe("intervene, skip, wait or escalate"),
    playbook_id: z.string(),
    channel: z.string(),
    confidence: z.number(),
    reasoning: z.string(),
    reason: z.string(),
  }),
  rules: z.record(z.string(), z.unknown()),
  context: z.looseObject({
    lifecycle_stage: z.string(),
    activation_score: z.number(),
    risk_level: z.string(),
    matched_playbooks: z.number(),
  }),
});
export type DryRunResponse = z.infer<typeof DryRunResponseSchema>;

/** Every error body: `{ error }`; plan-limit errors add current, limit, upgrade_to. */
export const ErrorResponseSchema = z.looseObject({
  error: z.string(),
  current: z.number().optional(),
  limit: z.number().optional(),
  upgrade_to: z.string().optional(),
});
