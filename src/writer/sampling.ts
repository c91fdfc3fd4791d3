/**
 * The `sampling` provider: the connected MCP client's own model, reached through
 * `sampling/createMessage`. The client may show the request to its user first,
 * so it gets a longer budget than a direct API call.
 */
import type { Logger } from "../log.js";
import { dataBlock } from "./data-block.js";
import { type AskModel, type Conversation, draftWithRepair, ProviderFailure } from "./model-draft.js";
import type { SamplingFn, WriterCallContext, WriterInput, WriterOutput, Writer } from "./types.js";

export interface SamplingWriterOptions {
  /** Per sampling request; the client may wait on a human, so callers pass more than for HTTP. */
  timeoutMs: number;
  maxTokens?: number;
  logger: Logger;
}

export interface SamplingWriter extends Writer {
  askJson(sampling: SamplingFn, conversation: Conversation): Promise<string | null>;
}

/**
 * Sampling takes one system and one user text, so a repair turn is folded into
 * the user text. The previous answer may echo what a customer typed, so it is
 * folded in as a data block, like every other value we did not write.
 */
export function flattenTurns(conversation: Conversation): string {
  const [first, ...rest] = conversation.turns;
  const parts = [first?.content ?? ""];
  for (const turn of rest) {
    parts.push(turn.role === "assistant" ? `Your previous answer was:\n${dataBlock("previous_answer", turn.content).text}` : turn.content);
  }
  return parts.join("\n\n");
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProviderFailure(`the client's model did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createSamplingWriter(options: SamplingWriterOptions): SamplingWriter {
  const log = options.logger.child({ provider: "sampling" });
  const maxTokens = options.maxTokens ?? 1200;

  async function call(sampling: SamplingFn, conversation: Conversation, attempt: number) {
    const started = performance.now();
    try {
      const reply = await withTimeout(
        sampling({ systemPrompt: conversation.system, userPrompt: flattenTurns(conversation), maxTokens }),
        options.timeoutMs,
      );
      const { text, model } = typeof reply === "string" ? { text: reply, model: undefined } : reply;
      log.info({ attempt, model, latency_ms: Math.round(performance.now() - started), chars: text.length }, "llm call");
      return { text, model: model ?? "client-model" };
    } catch (error) {
      // Whatever the client answers (declined, timed out, no text) is the client's model failing, not our bug.
      const reason = error instanceof ProviderFailure ? error.message : `sampling failed: ${(error as Error).message ?? String(error)}`;
      log.warn({ attempt, latency_ms: Math.round(performance.now() - started), error: reason }, "llm call failed");
      throw error instanceof ProviderFailure ? error : new ProviderFailure(reason.slice(0, 200));
    }
  }

  return {
    async write(input: WriterInput, context?: WriterCallContext): Promise<WriterOutput> {
      const sampling = context?.sampling;
      if (!sampling) throw new ProviderFailure("the MCP client did not declare the sampling capability");
      context.progress?.(`asking the client's model to draft the ${input.channel} message`);
      const ask: AskModel = async (conversation, attempt) => {
        const { text, model } = await call(sampling, conversation, attempt);
        return { content: text, model };
      };
      return draftWithRepair(ask, input, "sampling");
    },
    async askJson(sampling, conversation) {
      return (await call(sampling, conversation, 1)).text;
    },
  };
}
