/**
 * The writers the eval runs, each the production writer (createWriter, with
 * its repair and template fallback) behind a different model: none (template),
 * a real OpenAI-compatible server when OPENAI_API_KEY or OPENAI_BASE_URL is
 * set, and the misbehaving weak model behind a loopback chat-completions
 * server and behind a real MCP client's sampling handler. The weak model
 * plants one fault per case by rotation (an invented offer, a leaked address,
 * an injected link, markup, emoji, or nothing), besides obeying any injection
 * it reads.
 */
import type { Config } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createWriter, writeChecked } from "../../src/writer/index.js";
import type { CheckedWriting } from "../../src/writer/types.js";
import type { FaultKind, WeakAnswer, WeakModelOptions } from "../../test/support/weak-model.js";
import { weakChatReply, weakSamplingPair } from "../../test/support/weak-model-endpoints.js";
import { startFakeOpenAi } from "../../test/writer/fake-openai.js";
import type { EvalCase } from "./cases.js";

export interface Written {
  final: CheckedWriting;
  /** The model's raw answers for this case, in order (none for the template or a real model). */
  answers: WeakAnswer[];
}

export interface EvalProvider {
  name: string;
  /** A loopback model that misbehaves on purpose: the catch-rate targets are judged over these. */
  misbehaving: boolean;
  write(c: EvalCase, index: number): Promise<Written>;
  close(): Promise<void>;
}

const ROTATION: (FaultKind | null)[] = ["invented_offer", "leaked_address", "injected_link", null, "markup", "emoji"];

function llm(provider: Config["llm"]["provider"], overrides: Partial<Config["llm"]> = {}): Config["llm"] {
  return { provider, openaiApiKey: undefined, openaiBaseUrl: undefined, model: "weak-model", timeoutMs: 5_000, judge: false, ...overrides };
}

export function templateProvider(): EvalProvider {
  const writer = createWriter(llm("template"), silentLogger());
  return { name: "template", misbehaving: false, write: async (c) => ({ final: await writeChecked(writer, c.input), answers: [] }), close: async () => {} };
}

/** A real model, when the environment names one; the eval never reaches the internet otherwise. */
export function realOpenAiProvider(env: NodeJS.ProcessEnv): EvalProvider | null {
  if (!env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) return null;
  const model = env.RETIVO_LLM_MODEL ?? "gpt-4o-mini";
  const writer = createWriter(
    llm("openai", { openaiApiKey: env.OPENAI_API_KEY, openaiBaseUrl: env.OPENAI_BASE_URL, model, timeoutMs: 20_000 }),
    silentLogger(),
  );
  return { name: `openai (${model})`, misbehaving: false, write: async (c) => ({ final: await writeChecked(writer, c.input), answers: [] }), close: async () => {} };
}

/** Per case: which fault the weak model plants, and a log of what it answered. */
function plan(options: WeakModelOptions) {
  let plant: FaultKind[] = [];
  let answers: WeakAnswer[] = [];
  return {
    options: () => ({ ...options, plant }),
    start(index: number) {
      const fault = ROTATION[index % ROTATION.length];
      plant = fault ? [fault] : [];
      answers = [];
      return answers;
    },
    record: (answer: WeakAnswer) => answers.push(answer),
  };
}

export async function weakOpenAiProvider(name: string, options: WeakModelOptions): Promise<EvalProvider> {
  const fake = await startFakeOpenAi();
  const cases = plan(options);
  // The reply reads the current case's plan at request time.
  fake.setDefault(weakChatReply(cases.options, cases.record));
  const writer = createWriter(llm("openai", { openaiBaseUrl: fake.baseURL }), silentLogger(), { maxRetries: 0 });
  return {
    name,
    misbehaving: true,
    async write(c, index) {
      const answers = cases.start(index);
      return { final: await writeChecked(writer, c.input), answers };
    },
    close: () => fake.close(),
  };
}

export async function weakSamplingProvider(name: string, options: WeakModelOptions): Promise<EvalProvider> {
  const cases = plan(options);
  const pair = await weakSamplingPair(cases.options, cases.record);
  const writer = createWriter(llm("sampling"), silentLogger());
  return {
    name,
    misbehaving: true,
    async write(c, index) {
      const answers = cases.start(index);
      return { final: await writeChecked(writer, c.input, { sampling: pair.sampling }), answers };
    },
    close: () => pair.close(),
  };
}
