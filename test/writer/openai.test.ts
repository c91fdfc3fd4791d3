/**
 * The openai provider through the real `openai` package against a loopback
 * server speaking the chat-completions protocol. Each bad answer is either
 * repaired by the one repair attempt or replaced by the template, and
 * writeChecked never returns a failing message unflagged.
 */
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createWriter, writeChecked, type WriterOptions } from "../../src/writer/index.js";
import { apiError, completion, startFakeOpenAi, type FakeOpenAi } from "./fake-openai.js";
import { EMAIL_FOOTER, fixtureInput } from "./fixtures.js";

const API_KEY = "sk-test-loopback-0123456789abcdefSECRET";
let fake: FakeOpenAi;
let logLines: string[];

beforeAll(async () => {
  fake = await startFakeOpenAi();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.reset();
});

function writerFor(llm: Partial<Config["llm"]> = {}, options: WriterOptions = {}) {
  logLines = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString("utf8"));
      callback();
    },
  });
  const config: Config["llm"] = {
    provider: "openai",
    openaiApiKey: API_KEY,
    openaiBaseUrl: fake.baseURL,
    model: "fake-model",
    timeoutMs: 2000,
    judge: false,
    ...llm,
  };
  return createWriter(config, createLogger("debug", stream), { maxRetries: 0, ...options });
}

const input = fixtureInput({ area: "upsell", channel: "email" });

const GOOD = {
  subject: "Maya, more room for your team",
  message_body:
    "Hi Maya,\n\nYour team is getting close to what your plan includes. Moving to an annual plan gives you more room, " +
    "and right now you can get 20% off the first year of an annual plan. Shared views come along too.\n\nBest,\nThe team",
  reasoning: "Expansion is 0.77 and engagement 64%, with activation at 0.82: Maya is ready for a larger plan.",
  confidence: 0.74,
  offer_ids: ["offer_annual_20"],
};

describe("openai provider over a loopback chat-completions server", () => {
  it("uses a valid structured answer, with provenance, usage logged and no key in the logs", async () => {
    fake.enqueue(completion(GOOD));
    const result = await writeChecked(writerFor(), input);

    expect(result.output).toMatchObject({
      ...GOOD,
      message_body: GOOD.message_body + EMAIL_FOOTER,
      provenance: { provider: "openai", generated: true, model: "fake-model-2025", prompt_id: "chat/email" },
    });
    expect(result.output.provenance.prompt_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(result.output.provenance.fallback_reason).toBeUndefined();
    expect(result.flagged).toBe(false);
    expect(result.quality_checks.passed).toBe(true);

    const [request] = fake.requests;
    expect(request!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request!.body.model).toBe("fake-model");
    expect(request!.body.response_format?.type).toBe("json_schema");
    expect(request!.body.response_format?.json_schema?.strict).toBe(true);
    // Grounding: the facts and the allowed offer go in, nothing else about the person.
    const prompt = request!.body.messages.map((m) => m.content).join("\n");
    expect(prompt).toContain('"first_name": "Maya"');
    expect(prompt).toContain('"id": "offer_annual_20",\n      "text": "20% off the first year of an annual plan"');
    expect(prompt).not.toMatch(/@/);

    const call = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "llm call");
    expect(call).toMatchObject({ provider: "openai", attempt: 1, total_tokens: 508, prompt_tokens: 412, completion_tokens: 96 });
    expect(typeof call!.latency_ms).toBe("number");
    expect(logLines.join("")).not.toContain(API_KEY);
  });

  it("falls back to the template when the model refuses, without a repair attempt", async () => {
    fake.enqueue(completion(null, { refusal: "I can't help with that request." }));
    const result = await writeChecked(writerFor(), input);

    expect(fake.requests).toHaveLength(1);
    expect(result.output.provenance).toMatchObject({ provider: "template", attempted_provider: "openai" });
    expect(result.output.provenance.fallback_reason).toMatch(/refused: I can't help/);
    expect(result.flagged).toBe(false);
  });

  it("repairs malformed JSON with one more call that shows the model its mistake", async () => {
    fake.enqueue(completion('{"subject": "Hi", "message_body": "Hello Maya'), completion(GOOD));
    const result = await writeChecked(writerFor(), input);

    expect(fake.requests).toHaveLength(2);
    const repair = fake.requests[1]!.body.messages;
    expect(repair.at(-2)).toMatchObject({ role: "assistant", content: '{"subject": "Hi", "message_body": "Hello Maya' });
    expect(repair.at(-1)!.content).toMatch(/not valid JSON/);
    expect(result.output.message_body).toBe(GOOD.message_body + EMAIL_FOOTER);
    expect(result.output.provenance.repair_reason).toMatch(/not valid JSON/);
    expect(result.flagged).toBe(false);
  });

  it("falls back when the answer is still malformed after the repair", async () => {
    fake.enqueue(completion("Sure! Here is your message: Hi Maya"), completion('{"message_body": 42}'));
    const result = await writeChecked(writerFor(), input);

    expect(fake.requests).toHaveLength(2);
    expect(result.output.provenance.provider).toBe("template");
    expect(result.output.provenance.fallback_reason).toMatch(/still failed after one repair: message_body/);
  });

  it("times out a server that never answers and falls back, within the per-call budget", async () => {
    fake.setDefault("hang");
    const started = performance.now();
    const result = await writeChecked(writerFor({ timeoutMs: 250 }, { maxRetries: 1 }), input);
    const elapsed = performance.now() - started;

    expect(fake.requests).toHaveLength(2); // the first try and the SDK's one retry
    expect(result.output.provenance.provider).toBe("template");
    expect(result.output.provenance.fallback_reason).toBe("openai: timed out after 250 ms");
    expect(elapsed).toBeLessThan(5_000);
    expect(result.flagged).toBe(false);
  });

  it("stops at the budget for one whole message, however many retries remain", async () => {
    fake.setDefault("hang");
    const started = performance.now();
    const result = await writeChecked(writerFor({ timeoutMs: 5_000 }, { maxRetries: 2, totalBudgetMs: 300 }), input);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(fake.requests).toHaveLength(1);
    expect(result.output.provenance.fallback_reason).toBe("openai: gave up after the 300 ms budget for one message");
  });

  it("survives a 500 storm: the SDK retries, then the template answers", async () => {
    fake.setDefault(apiError(500, "upstream overloaded", { "retry-after-ms": "5" }));
    const result = await writeChecked(writerFor({}, { maxRetries: 2 }), input);

    expect(fake.requests).toHaveLength(3);
    expect(result.output.provenance).toMatchObject({ provider: "template", attempted_provider: "openai" });
    expect(result.output.provenance.fallback_reason).toMatch(/^openai: HTTP 500/);
  });

  it("switches to JSON mode when the server rejects json_schema, and stays there", async () => {
    const jsonSchemaUnsupported = (request: { body: { response_format?: { type: string } } }) =>
      request.body.response_format?.type === "json_schema"
        ? apiError(400, "response_format.type 'json_schema' is not supported by this server")
        : completion(GOOD);
    fake.setDefault(jsonSchemaUnsupported);
    const writer = writerFor();

    const first = await writeChecked(writer, input);
    expect(fake.requests.map((r) => r.body.response_format?.type)).toEqual(["json_schema", "json_object"]);
    expect(first.output.provenance.provider).toBe("openai");
    expect(first.output.message_body).toBe(GOOD.message_body + EMAIL_FOOTER);

    await writeChecked(writer, fixtureInput({ area: "upsell", channel: "email", firstName: "Omar" }));
    expect(fake.requests.map((r) => r.body.response_format?.type)).toEqual(["json_schema", "json_object", "json_object"]);
  });

  describe("answers that break the rules are repaired or replaced, never delivered", () => {
    const inventedDiscount = { ...GOOD, message_body: "Hi Maya, upgrade today and get 50% off your first year!", offer_ids: [] };
    const otherCustomersEmail = {
      ...GOOD,
      message_body: "Hi Maya, your colleague jane.doe@othercorp.example already upgraded. Shared views are waiting.",
    };
    const unresolvedToken = { ...GOOD, message_body: "Hi {{first_name}}, you are close to your plan's capacity. Shared views help." };

    it.each([
      ["an invented 50% discount", inventedDiscount, /offers: '50' matches no allowed offer/],
      ["another customer's email", otherCustomersEmail, /pii: contains an email address \(jan\*\*\*le\)/],
      ["an unresolved {{first_name}}", unresolvedToken, /placeholders: unresolved placeholder \{\{first_name\}\}/],
    ])("%s: repaired by the repair attempt", async (_label, bad, problem) => {
      fake.enqueue(completion(bad), completion(GOOD));
      const result = await writeChecked(writerFor(), input);

      expect(fake.requests).toHaveLength(2);
      expect(fake.requests[1]!.body.messages.at(-1)!.content).toMatch(problem);
      expect(result.output.message_body).toBe(GOOD.message_body + EMAIL_FOOTER);
      expect(result.output.provenance).toMatchObject({ provider: "openai" });
      expect(result.output.provenance.repair_reason).toMatch(problem);
      expect(result.flagged).toBe(false);
    });

    it.each([
      ["an invented 50% discount", inventedDiscount, /offers/],
      ["another customer's email", otherCustomersEmail, /pii/],
      ["an unresolved {{first_name}}", unresolvedToken, /placeholders/],
    ])("%s twice: replaced by the template, with the reason", async (_label, bad, problem) => {
      fake.enqueue(completion(bad), completion(bad));
      const result = await writeChecked(writerFor(), input);

      expect(fake.requests).toHaveLength(2);
      expect(result.output.message_body).not.toBe(bad.message_body);
      expect(result.output.message_body).not.toMatch(/50%|@|\{\{/);
      expect(result.output.provenance.provider).toBe("template");
      expect(result.output.provenance.fallback_reason).toMatch(problem);
      expect(result.flagged).toBe(false);
    });
  });

  it("falls back with the reason when openai is forced but nothing is configured", async () => {
    const result = await writeChecked(writerFor({ openaiApiKey: undefined, openaiBaseUrl: undefined }), input);
    expect(fake.requests).toHaveLength(0);
    expect(result.output.provenance).toMatchObject({
      provider: "template",
      fallback_reason: "openai: neither OPENAI_API_KEY nor OPENAI_BASE_URL is set",
    });
  });

  it("pays once for a dry-run and the create that follows it (cache), and not for a failure", async () => {
    fake.enqueue(completion(GOOD));
    const writer = writerFor();
    const dryRun = await writer.write({ ...input, purpose: "dry_run", variation_key: "user_1:playbook_1" });
    const create = await writer.write({ ...input, purpose: "intervention", variation_key: "int_00000000000000000001" });

    expect(fake.requests).toHaveLength(1);
    expect(create.message_body).toBe(dryRun.message_body);
    expect(create.provenance).toMatchObject({ provider: "openai", cache: "hit" });

    // Different facts are a different key.
    fake.enqueue(apiError(503, "busy"), completion(GOOD));
    const lowRisk = fixtureInput({ area: "upsell", channel: "email", scores: { risk_level: "low" } });
    const other = await writer.write(lowRisk);
    expect(other.provenance.provider).toBe("template");
    const again = await writer.write(lowRisk);
    expect(again.provenance.provider).toBe("openai");
    expect(fake.requests).toHaveLength(3);
  });

  it("lets the optional judge add only warnings", async () => {
    fake.enqueue(completion(GOOD), completion({ concerns: ["The opening feels abrupt."] }));
    const result = await writeChecked(writerFor({ judge: true }), input);

    expect(fake.requests[1]!.body.response_format?.type).toBe("json_object");
    expect(result.quality_checks.checks.at(-1)).toEqual({
      name: "llm_judge",
      passed: false,
      severity: "warn",
      detail: "The opening feels abrupt.",
    });
    expect(result.flagged).toBe(false);
    expect(result.quality_checks.passed).toBe(true);
  });

  it("adds no judge check when the judge call fails", async () => {
    fake.enqueue(completion(GOOD), apiError(500, "judge down"));
    const result = await writeChecked(writerFor({ judge: true }), input);
    expect(result.quality_checks.checks.map((c) => c.name)).not.toContain("llm_judge");
    expect(result.flagged).toBe(false);
  });
});
