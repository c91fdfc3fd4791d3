/**
 * The sampling provider against a real MCP Client/Server pair set up here: the
 * server side calls `createMessage`, the client answers as its model would, or
 * fails, or never answers.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CreateMessageRequestSchema, type CreateMessageResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createWriter, writeChecked } from "../../src/writer/index.js";
import type { SamplingFn } from "../../src/writer/types.js";
import { fixtureInput } from "./fixtures.js";

const input = fixtureInput({ area: "retention", channel: "in_app", offers: [] });
const ANSWER = {
  subject: null,
  message_body: "Thanks for sticking with us, Maya! Shared views keep your whole team on the same page.",
  reasoning: "Engagement 0.64 and health 71 suggest Maya values the product.",
  confidence: 0.7,
  offer_ids: [],
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A connected pair; returns the SamplingFn a tool handler would build from its server. */
async function connect(answer: (prompt: string) => Promise<CreateMessageResult> | CreateMessageResult): Promise<{ sampling: SamplingFn; prompts: string[] }> {
  const prompts: string[] = [];
  const server = new Server({ name: "writer-test", version: "1.0.0" }, { capabilities: {} });
  const client = new Client({ name: "model-client", version: "1.0.0" }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    const text = (request.params.messages[0]!.content as { text: string }).text;
    prompts.push(text);
    return answer(text);
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(a), client.connect(b)]);
  closers.push(() => client.close());
  expect(server.getClientCapabilities()?.sampling).toBeDefined();
  const sampling: SamplingFn = async ({ systemPrompt, userPrompt, maxTokens }) => {
    const result = await server.createMessage({ systemPrompt, maxTokens, messages: [{ role: "user", content: { type: "text", text: userPrompt } }] });
    return { text: result.content.type === "text" ? result.content.text : "", model: result.model };
  };
  return { sampling, prompts };
}

const reply = (text: string): CreateMessageResult => ({ role: "assistant", model: "client-llm-1", content: { type: "text", text } });

function samplingWriter(samplingTimeoutMs = 2000) {
  const config: Config["llm"] = { provider: "sampling", openaiApiKey: undefined, openaiBaseUrl: undefined, model: "unused", timeoutMs: 1000, judge: false };
  return createWriter(config, silentLogger(), { samplingTimeoutMs });
}

describe("sampling provider", () => {
  it("uses the client's answer and records the client's model", async () => {
    const { sampling, prompts } = await connect(() => reply(JSON.stringify(ANSWER)));
    const result = await writeChecked(samplingWriter(), input, { sampling });
    expect(prompts).toHaveLength(1);
    expect(result.output).toMatchObject({ message_body: ANSWER.message_body, provenance: { provider: "sampling", model: "client-llm-1", prompt_id: "chat/in_app" } });
    expect(result.flagged).toBe(false);
  });

  it("reads JSON wrapped in prose and code fences, and tolerates a missing subject", async () => {
    const { subject: _subject, ...noSubject } = ANSWER;
    const { sampling } = await connect(() => reply(`Here you go:\n\`\`\`json\n${JSON.stringify(noSubject)}\n\`\`\``));
    const result = await writeChecked(samplingWriter(), input, { sampling });
    expect(result.output.provenance.provider).toBe("sampling");
    expect(result.output.subject).toBeNull();
  });

  it("falls back to the template when the client refuses the sampling request", async () => {
    const { sampling } = await connect(() => {
      throw new Error("User rejected sampling request");
    });
    const result = await writeChecked(samplingWriter(), input, { sampling });
    expect(result.output.provenance).toMatchObject({ provider: "template", attempted_provider: "sampling" });
    expect(String(result.output.provenance.fallback_reason)).toMatch(/^sampling: sampling failed: .*User rejected sampling request/);
    expect(result.flagged).toBe(false);
  });

  it("falls back when the client's model never answers", async () => {
    const { sampling } = await connect(() => new Promise<CreateMessageResult>(() => {}));
    const started = performance.now();
    const result = await writeChecked(samplingWriter(200), input, { sampling });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result.output.provenance.fallback_reason).toBe("sampling: the client's model did not answer within 200 ms");
  });
});
