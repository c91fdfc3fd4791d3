/**
 * The writer the rest of the server sees. It picks a provider per call
 * (RETIVO_LLM), caches model drafts, and turns any provider failure into the
 * template's message with `provenance.fallback_reason`: a tool call never fails
 * because a model did. Programming errors are not provider failures and throw.
 */
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { draftCacheKey, LruCache } from "./cache.js";
import { chatPromptFor } from "./chat-prompt.js";
import { judgeMessage } from "./judge.js";
import { ProviderFailure } from "./model-draft.js";
import type { OpenAiWriter } from "./openai.js";
import { redactSecrets } from "./text-scan.js";
import { flagFromChecks, runQualityChecks } from "./quality.js";
import { createSamplingWriter } from "./sampling.js";
import { writeFromTemplate } from "./template.js";
import type { CheckedWriting, Writer, WriterCallContext, WriterInput, WriterOutput } from "./types.js";

export { CHECK, CHANNEL_LIMITS, flagFromChecks, runQualityChecks } from "./quality.js";
export type { CheckedWriting, Writer, WriterCallContext, WriterInput, WriterOutput } from "./types.js";

export interface WriterOptions {
  /** The openai SDK's retries per request (default 2). */
  maxRetries?: number;
  /** For one whole openai write, retries and repair included (default 45 s). */
  totalBudgetMs?: number;
  cacheSize?: number;
  /** Per sampling request; default three times `timeoutMs`, since the client may ask its user first. */
  samplingTimeoutMs?: number;
  /** Loads the openai provider on its first use; default the dynamic import (tests inject a failing one). */
  loadOpenAi?: () => Promise<OpenAiModule>;
}

type OpenAiModule = Pick<typeof import("./openai.js"), "createOpenAiWriter">;

/** The model name recorded for sampling until the client names its own. */
const SAMPLING_MODEL = "client-model";

type Choice = "openai" | "sampling" | "template" | { unavailable: "openai" | "sampling"; reason: string };

export function createWriter(config: Config["llm"], logger: Logger, options: WriterOptions = {}): Writer {
  const log = logger.child({ component: "writer" });
  // The openai package is loaded on the first model call, never at start: a server
  // that writes from templates (the default) should not pay for it. A failed load is a
  // provider failure (the template answers) and is not remembered: the next call retries it.
  const loadOpenAi = options.loadOpenAi ?? (() => import("./openai.js"));
  let openaiWriter: Promise<OpenAiWriter> | undefined;
  const loadOpenAiWriter = (): Promise<OpenAiWriter> => {
    const failure = (what: string) => (error: unknown): never => {
      if (openaiWriter === pending) openaiWriter = undefined;
      const reason = redactSecrets(error instanceof Error ? error.message : String(error)).slice(0, 200);
      throw new ProviderFailure(`${what}: ${reason}`);
    };
    const pending: Promise<OpenAiWriter> = loadOpenAi().then(
      ({ createOpenAiWriter }) => {
        try {
          return createOpenAiWriter({
            apiKey: config.openaiApiKey,
            baseURL: config.openaiBaseUrl,
            model: config.model,
            timeoutMs: config.timeoutMs,
            maxRetries: options.maxRetries,
            totalBudgetMs: options.totalBudgetMs,
            logger: log,
          });
        } catch (error) {
          return failure("openai client could not be created")(error);
        }
      },
      failure("openai package unavailable"),
    );
    return pending;
  };
  const openai = config.openaiApiKey || config.openaiBaseUrl ? () => (openaiWriter ??= loadOpenAiWriter()) : undefined;
  const sampling = createSamplingWriter({ timeoutMs: options.samplingTimeoutMs ?? config.timeoutMs * 3, logger: log });
  const cache = new LruCache<Promise<WriterOutput>>(options.cacheSize);

  function choose(context: WriterCallContext | undefined): Choice {
    switch (config.provider) {
      case "template":
        return "template";
      case "openai":
        return openai ? "openai" : { unavailable: "openai", reason: "neither OPENAI_API_KEY nor OPENAI_BASE_URL is set" };
      case "sampling":
        return context?.sampling ? "sampling" : { unavailable: "sampling", reason: "the MCP client did not declare the sampling capability" };
      case "auto":
        return openai ? "openai" : context?.sampling ? "sampling" : "template";
    }
  }

  function fallback(input: WriterInput, provider: string, reason: string): WriterOutput {
    log.warn({ provider, reason }, "writer fell back to the template");
    const output = writeFromTemplate(input);
    return { ...output, provenance: { ...output.provenance, fallback_reason: `${provider}: ${reason}`, attempted_provider: provider } };
  }

  async function viaModel(provider: "openai" | "sampling", input: WriterInput, context: WriterCallContext | undefined) {
    const model = provider === "openai" ? config.model : SAMPLING_MODEL;
    // A sampled draft came from one client's own model: cached for that client only, or not at all.
    const client = provider === "sampling" ? context?.clientKey : undefined;
    const key =
      provider === "sampling" && client === undefined
        ? undefined
        : draftCacheKey({ provider, model, promptHash: chatPromptFor(input).hash, input, ...(client === undefined ? {} : { client }) });
    const cached = key === undefined ? undefined : cache.get(key);
    try {
      if (cached) {
        const output = await cached;
        log.debug({ provider }, "writer cache hit");
        return { ...output, offer_ids: [...output.offer_ids], provenance: { ...output.provenance, cache: "hit" } };
      }
      const pending = provider === "openai" ? openai!().then((writer) => writer.write(input, context)) : sampling.write(input, context);
      if (key !== undefined) cache.set(key, pending);
      return await pending;
    } catch (error) {
      if (key !== undefined) cache.delete(key);
      if (error instanceof ProviderFailure) return fallback(input, provider, error.message);
      throw error;
    }
  }

  return {
    async write(input, context) {
      const choice = choose(context);
      if (choice === "template") return writeFromTemplate(input);
      if (typeof choice === "object") return fallback(input, choice.unavailable, choice.reason);
      return viaModel(choice, input, context);
    },
    async judge(output, input, context) {
      if (!config.judge) return [];
      const choice = choose(context);
      if (choice === "openai") return judgeMessage(async (c) => (await openai!()).askJson(c, context?.signal), output, input, log);
      if (choice === "sampling") return judgeMessage((c) => sampling.askJson(context!.sampling!, c), output, input, log);
      return [];
    },
  };
}

/**
 * Write, then check: what the backend stores. Judge checks are forced to `warn`
 * here as well, so no judge can flag an intervention.
 */
export async function writeChecked(writer: Writer, input: WriterInput, context?: WriterCallContext): Promise<CheckedWriting> {
  const output = await writer.write(input, context);
  const quality_checks = runQualityChecks({ ...output, generated: output.provenance.generated === true }, input);
  if (writer.judge) {
    const advice = await writer.judge(output, input, context);
    quality_checks.checks.push(...advice.map((c) => ({ ...c, severity: "warn" as const })));
  }
  return { output, quality_checks, ...flagFromChecks(quality_checks) };
}
