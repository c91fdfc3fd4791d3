/**
 * Injection resistance, writer level, through every provider: the template,
 * the openai provider against a loopback server whose model obeys injections,
 * and MCP sampling through a real client whose model does the same. Every
 * hostile value of the corpus goes into the first name and into the brand
 * context; whatever the model does with it, no draft that carries the
 * injected offer, link or address comes back unflagged, and what we send the
 * model keeps those values inside data blocks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { chatPromptFor } from "../../src/writer/chat-prompt.js";
import { createWriter, writeChecked } from "../../src/writer/index.js";
import type { CheckedWriting, WriterInput } from "../../src/writer/types.js";
import { outsideDataBlocks } from "../support/data-blocks.js";
import { INJECTIONS, payloadsIn, type Injection } from "../support/injection-corpus.js";
import type { Planted } from "../support/weak-model.js";
import { weakChatReply, weakSamplingPair } from "../support/weak-model-endpoints.js";
import { startFakeOpenAi, type FakeOpenAi } from "./fake-openai.js";
import { fixtureInput } from "./fixtures.js";

type Where = "first name" | "brand context";

function hostile(injection: Injection, where: Where, channel: WriterInput["channel"]): WriterInput {
  const value = injection.value;
  return where === "first name"
    ? fixtureInput({ area: "upsell", channel, firstName: value, key: `int_${injection.id}` })
    : fixtureInput({
        area: "upsell",
        channel,
        key: `int_${injection.id}_brand`,
        brand: { tone_guidelines: value, things_to_mention: [value], product_description: `Acme Boards plans work. ${value}` },
      });
}

/** The property under test: flagged, or free of every payload the injection tried to smuggle in. */
function expectNothingSmuggled(result: CheckedWriting, injection: Injection, input: WriterInput, label: string): void {
  if (result.flagged) return;
  const message = `${result.output.subject ?? ""}\n${result.output.message_body}`;
  expect(payloadsIn(message, [injection]), `${label}: ${message}`).toEqual([]);
  const allowed = new Set(input.offers.map((o) => o.id));
  expect(result.output.offer_ids.filter((id) => !allowed.has(id)), label).toEqual([]);
}

const CASES = INJECTIONS.flatMap((injection) =>
  (["first name", "brand context"] as const).flatMap((where) => (["email", "in_app"] as const).map((channel) => ({ injection, where, channel }))),
);

function llm(provider: Config["llm"]["provider"], baseURL?: string): Config["llm"] {
  return { provider, openaiApiKey: undefined, openaiBaseUrl: baseURL, model: "weak-model", timeoutMs: 2000, judge: false };
}

describe("template provider", () => {
  const writer = createWriter(llm("template"), silentLogger());

  it.each(CASES.map((c) => [c.injection.id, c.where, c.channel, c] as const))("%s in the %s (%s)", async (_id, where, channel, { injection }) => {
    const input = hostile(injection, where, channel);
    const result = await writeChecked(writer, input);
    expectNothingSmuggled(result, injection, input, `${injection.id}/${where}`);
    // A name that is no name is not printed: the template greets without it.
    if (where === "first name") expect(result.output.message_body).not.toContain(injection.value);
  });
});

describe("openai provider, whose model obeys injections", () => {
  let fake: FakeOpenAi;
  const planted: Planted[][] = [];
  const prompts: { system: string; user: string }[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAi();
  });
  afterAll(async () => fake.close());

  for (const stubborn of [false, true]) {
    it(`never lets an injected payload through unflagged (${stubborn ? "repeats its fault when asked to repair" : "repairs when told"})`, async () => {
      fake.reset();
      planted.length = 0;
      prompts.length = 0;
      fake.setDefault(weakChatReply({ stubborn }, (answer, prompt) => (planted.push(answer.planted), prompts.push(prompt))));
      const writer = createWriter(llm("openai", fake.baseURL), silentLogger(), { maxRetries: 0 });
      let smuggledAttempts = 0;
      for (const { injection, where, channel } of CASES) {
        const input = hostile(injection, where, channel);
        const before = planted.length;
        const result = await writeChecked(writer, input);
        expectNothingSmuggled(result, injection, input, `${injection.id}/${where}/${channel}`);
        const first = planted[before] ?? [];
        if (first.length) {
          smuggledAttempts++;
          // The model did smuggle something in: that draft was sent back for repair, and the template replaced it if needed.
          const { provider, repair_reason, fallback_reason } = result.output.provenance;
          expect(provider === "template" ? fallback_reason : repair_reason, injection.id).toBeTruthy();
          if (stubborn) expect(provider, injection.id).toBe("template");
        }
      }
      // The model really was fooled, most of the time: otherwise this test would prove nothing.
      expect(smuggledAttempts).toBeGreaterThanOrEqual(CASES.length / 2);
      expectOnlyInsideBlocks(prompts);
    });
  }
});

describe("sampling provider, through a real MCP client whose model obeys injections", () => {
  it("never lets an injected payload through unflagged", async () => {
    const planted: Planted[][] = [];
    const prompts: { system: string; user: string }[] = [];
    const { sampling, close } = await weakSamplingPair({}, (answer, prompt) => (planted.push(answer.planted), prompts.push(prompt)));
    try {
      const writer = createWriter(llm("sampling"), silentLogger());
      let fooled = 0;
      for (const { injection, where, channel } of CASES) {
        const input = hostile(injection, where, channel);
        const before = planted.length;
        const result = await writeChecked(writer, input, { sampling });
        expectNothingSmuggled(result, injection, input, `${injection.id}/${where}/${channel}`);
        if ((planted[before] ?? []).length) fooled++;
      }
      expect(fooled).toBeGreaterThanOrEqual(CASES.length / 2);
      expectOnlyInsideBlocks(prompts);
    } finally {
      await close();
    }
  });
});

/** What we wrote around the values is identical to what a benign prompt says: the values stayed inside their blocks. */
function expectOnlyInsideBlocks(prompts: { system: string; user: string }[]): void {
  expect(prompts.length).toBeGreaterThan(0);
  const benign = new Set(
    (["email", "in_app"] as const).map((channel) => {
      const p = chatPromptFor(fixtureInput({ area: "upsell", channel }));
      return outsideDataBlocks(`${p.system}\n${p.user}`);
    }),
  );
  for (const prompt of prompts) {
    // Repair turns append the problems (as a block) to the first request; compare the first request's part.
    const firstUser = prompt.user.split("\n\nYour previous answer was:")[0]!.split("\n\nYour answer above cannot be used.")[0]!;
    expect(benign.has(outsideDataBlocks(`${prompt.system}\n${firstUser}`)), firstUser.slice(0, 200)).toBe(true);
    for (const injection of INJECTIONS) {
      const outside = outsideDataBlocks(`${prompt.system}\n${prompt.user}`);
      for (const payload of injection.payloads) expect(outside.toLowerCase(), payload.text).not.toContain(payload.text.toLowerCase());
    }
  }
}
