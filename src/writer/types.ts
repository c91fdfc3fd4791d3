/**
 * The writer: turns grounded facts about one customer and one playbook into the
 * end user's message and the operator's reasoning. Providers (openai, sampling,
 * template) implement `Writer`; everything they return is data, checked by
 * quality.ts before it is stored.
 */
import type { Channel, Provenance, QualityCheck, QualityChecks } from "../api/schemas.js";
import type { BrandContext, MessagePolicy, Offer } from "../domain/catalog.js";

/** Only what a message may use. No email address, no company internals. */
export interface WriterInput {
  purpose: "intervention" | "dry_run";
  channel: Channel;
  customer: {
    first_name: string;
    locale: string;
    lifecycle_stage: string;
    activation_score: number;
    engagement_score: number;
    expansion_score: number;
    health: number;
    risk_level: string;
    days_since_last_activity: number | null;
    days_since_churn: number | null;
  };
  playbook: {
    id: string;
    name: string;
    lifecycle_area: string;
    tone: string | null;
  };
  /** The only offers the message may mention, by id. */
  offers: Offer[];
  brand: BrandContext;
  /**
   * The tenant's footer, disclosure and brand limits; null where they are not
   * known (a preview drafted in API mode), so the email rules cannot be verified.
   */
  policy: MessagePolicy | null;
  /** Stable per intervention, so the template provider varies its wording deterministically. */
  variation_key: string;
}

export interface WriterOutput {
  subject: string | null;
  message_body: string;
  reasoning: string;
  confidence: number;
  offer_ids: string[];
  provenance: Provenance;
}

/** What a sampling call returns: the text, and the model when the client names it. */
export interface SamplingReply {
  text: string;
  model?: string;
}

/**
 * How the writer may reach the connected client's own model (MCP sampling).
 * Returning a bare string is allowed; returning `{ text, model }` lets the
 * provenance name the client's model.
 */
export type SamplingFn = (request: {
  systemPrompt: string;
  userPrompt: string;
  maxTokens: number;
}) => Promise<string | SamplingReply>;

/** Per-call context from the MCP request that triggered the write. */
export interface WriterCallContext {
  /** Present when the client declared the sampling capability. */
  sampling?: SamplingFn;
  signal?: AbortSignal;
  /** Progress for long generations (MCP progress notifications). */
  progress?: (message: string) => void;
  /**
   * Who is asking: the MCP session (or, without one, the server instance of
   * one client connection). Sampling drafts are cached per client, since each
   * client's own model wrote them; without it they are not cached at all.
   */
  clientKey?: string;
}

export interface Writer {
  /**
   * Never rejects because a provider failed: providers fall back to the template
   * and say so in `provenance.fallback_reason`. Programming errors still throw.
   */
  write(input: WriterInput, context?: WriterCallContext): Promise<WriterOutput>;
  /** Optional LLM review; whatever it returns is recorded as `warn` only. */
  judge?(output: WriterOutput, input: WriterInput, context?: WriterCallContext): Promise<QualityCheck[]>;
}

/** What the backend stores for one written message: `writeChecked` in index.ts. */
export interface CheckedWriting {
  output: WriterOutput;
  quality_checks: QualityChecks;
  flagged: boolean;
  flag_reason: string | null;
}
