/**
 * The `openai` provider: any server speaking the chat-completions protocol
 * (OpenAI, Ollama, vLLM, llama.cpp). Structured output first; a server that
 * rejects `json_schema` gets JSON mode from then on, and zod validates either way.
 */
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError, BadRequestError } from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { zodResponseFormat } from "openai/helpers/zod";
import type { Logger } from "../log.js";
import { type AskModel, type Conversation, draftWithRepair, ModelAnswerSchema, ProviderFailure } from "./model-draft.js";
import { redactSecrets } from "./text-scan.js";
import type { Writer, WriterCallContext, WriterInput, WriterOutput } from "./types.js";

export interface OpenAiWriterOptions {
  apiKey: string | undefined;
  baseURL: string | undefined;
  model: string;
  /** Per HTTP request, each retry included. */
  timeoutMs: number;
  /** The SDK's own retries of connection errors, 408/409/429 and 5xx. */
  maxRetries?: number;
  /**
   * For one whole write: attempts, retries and the repair. MCP clients commonly
   * give up on a tool call after 60 s, so the template must answer well before.
   */
  totalBudgetMs?: number;
  logger: Logger;
}

export const DEFAULT_TOTAL_BUDGET_MS = 45_000;

export const DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";
const RESPONSE_FORMAT = zodResponseFormat(ModelAnswerSchema, "intervention_message");

export interface OpenAiWriter extends Writer {
  readonly model: string;
  /** The same transport for other JSON tasks (the judge). */
  askJson(conversation: Conversation, signal?: AbortSignal): Promise<string | null>;
}

/** A short, key-free description of a transport failure, fit for provenance and logs. */
export function describeOpenAiError(error: APIError, timeoutMs: number): string {
  if (error instanceof APIConnectionTimeoutError) return `timed out after ${timeoutMs} ms`;
  const status = error.status ? `HTTP ${error.status}: ` : "";
  return redactSecrets(`${status}${error.message}`).slice(0, 200);
}

export function createOpenAiWriter(options: OpenAiWriterOptions): OpenAiWriter {
  const log = options.logger.child({ provider: "openai", model: options.model });
  const client = new OpenAI({
    // A local server (Ollama, llama.cpp) needs no key, but the SDK insists on one.
    apiKey: options.apiKey ?? "no-key",
    // Everything explicit: the SDK would otherwise read OPENAI_* from the environment itself.
    baseURL: options.baseURL ?? DEFAULT_OPENAI_BASE_URL,
    organization: null,
    project: null,
    webhookSecret: null,
    adminAPIKey: null,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries ?? 2,
    // The SDK logs to console by default; stdout belongs to JSON-RPC.
    logLevel: "warn",
    logger: {
      error: (message, ...rest) => log.error({ sdk: rest }, message),
      warn: (message, ...rest) => log.warn({ sdk: rest }, message),
      info: (message) => log.info(message),
      debug: (message) => log.debug(message),
    },
  });
  let jsonSchemaRejected = false;

  /** `jsonOnly` asks for any JSON object (the judge); otherwise the answer schema, when the server takes it. */
  const totalBudgetMs = options.totalBudgetMs ?? Math.max(options.timeoutMs, DEFAULT_TOTAL_BUDGET_MS);

  async function complete(conversation: Conversation, attempt: number, signal: AbortSignal | undefined, jsonOnly = false) {
    const request: ChatCompletionCreateParamsNonStreaming = {
      model: options.model,
      messages: [{ role: "system", content: conversation.system }, ...conversation.turns],
      response_format: jsonSchemaRejected || jsonOnly ? { type: "json_object" } : RESPONSE_FORMAT,
    };
    const started = performance.now();
    try {
      const completion = await client.chat.completions.create(request, { signal });
      const choice = completion.choices[0];
      log.info(
        {
          attempt,
          response_format: request.response_format?.type,
          latency_ms: Math.round(performance.now() - started),
          prompt_tokens: completion.usage?.prompt_tokens,
          completion_tokens: completion.usage?.completion_tokens,
          total_tokens: completion.usage?.total_tokens,
          finish_reason: choice?.finish_reason,
        },
        "llm call",
      );
      return { completion, choice };
    } catch (error) {
      if (!(error instanceof APIError)) throw error;
      const outOfTime = error instanceof APIUserAbortError && signal?.reason instanceof DOMException && signal.reason.name === "TimeoutError";
      const reason = outOfTime ? `gave up after the ${totalBudgetMs} ms budget for one message` : describeOpenAiError(error, options.timeoutMs);
      log.warn({ attempt, latency_ms: Math.round(performance.now() - started), error: reason }, "llm call failed");
      if (error instanceof BadRequestError && !jsonSchemaRejected && !jsonOnly) {
        // Many compatible servers know JSON mode but not JSON schema; remember it for later calls.
        jsonSchemaRejected = true;
        log.info("server rejected json_schema output; using json_object mode with zod validation");
        return complete(conversation, attempt, signal);
      }
      throw new ProviderFailure(reason);
    }
  }

  const ask = (signal: AbortSignal | undefined): AskModel => async (conversation, attempt) => {
    const { completion, choice } = await complete(conversation, attempt, signal);
    return { content: choice?.message.content ?? null, refusal: choice?.message.refusal ?? null, model: completion.model || options.model };
  };

  return {
    model: options.model,
    async write(input: WriterInput, context?: WriterCallContext): Promise<WriterOutput> {
      context?.progress?.(`drafting the ${input.channel} message with ${options.model}`);
      const deadline = AbortSignal.timeout(totalBudgetMs);
      return draftWithRepair(ask(context?.signal ? AbortSignal.any([context.signal, deadline]) : deadline), input, "openai");
    },
    async askJson(conversation, signal) {
      const { choice } = await complete(conversation, 1, signal, true);
      return choice?.message.content ?? null;
    },
  };
}
