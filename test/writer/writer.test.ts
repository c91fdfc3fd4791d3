/**
 * The writer's own seams: the bounded cache, the judge held to warnings, and
 * bugs that must surface instead of hiding behind the template.
 */
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { draftCacheKey, LruCache } from "../../src/writer/cache.js";
import { createWriter, writeChecked } from "../../src/writer/index.js";
import { writeFromTemplate } from "../../src/writer/template.js";
import type { Writer, WriterInput } from "../../src/writer/types.js";
import { fixtureInput } from "./fixtures.js";

describe("draft cache", () => {
  it("evicts the least recently used entry past its capacity", () => {
    const cache = new LruCache<number>(3);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    expect(cache.get("a")).toBe(1); // a is now the most recent
    cache.set("d", 4);
    expect(cache.get("b")).toBeUndefined();
    expect([cache.get("a"), cache.get("c"), cache.get("d")]).toEqual([1, 3, 4]);
    expect(cache.size).toBe(3);
  });

  it("keys on provider, model, prompt hash and facts, not on purpose or variation key", () => {
    const input = fixtureInput();
    const key = (over: Partial<Parameters<typeof draftCacheKey>[0]>) =>
      draftCacheKey({ provider: "openai", model: "m", promptHash: "h", input, ...over });
    const base = key({});
    expect(key({ input: { ...input, purpose: "dry_run", variation_key: "other" } })).toBe(base);
    expect(key({ provider: "sampling" })).not.toBe(base);
    expect(key({ model: "m2" })).not.toBe(base);
    expect(key({ promptHash: "h2" })).not.toBe(base);
    expect(key({ input: fixtureInput({ firstName: "Omar" }) })).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keys sampled drafts on the client, so one client's draft never serves another", () => {
    const input = fixtureInput();
    const key = (client?: string) => draftCacheKey({ provider: "sampling", model: "client-model", promptHash: "h", input, ...(client ? { client } : {}) });
    expect(key("session-a")).not.toBe(key("session-b"));
    expect(key("session-a")).toBe(key("session-a"));
    expect(key("session-a")).not.toBe(key());
  });
});

describe("writeChecked", () => {
  it("records whatever a judge says as a warning, so a judge can never flag", async () => {
    const input = fixtureInput();
    const strictJudge: Writer = {
      write: async (i: WriterInput) => writeFromTemplate(i),
      judge: async () => [{ name: "llm_judge", passed: false, severity: "error", detail: "too pushy" }],
    };
    const result = await writeChecked(strictJudge, input);
    expect(result.quality_checks.checks.at(-1)).toMatchObject({ name: "llm_judge", passed: false, severity: "warn" });
    expect(result.flagged).toBe(false);
  });

  it("flags what fails an error check, with the first failure as the reason", async () => {
    const input = fixtureInput();
    const careless: Writer = { write: async (i) => ({ ...writeFromTemplate(i), message_body: "Hi {{first_name}}, guaranteed results." }) };
    const result = await writeChecked(careless, input);
    expect(result).toMatchObject({ flagged: true, flag_reason: "placeholders: unresolved placeholder {{first_name}}" });
    expect(result.quality_checks.passed).toBe(false);
  });
});

describe("programming errors are not provider failures", () => {
  it("throws for a lifecycle area that has no template instead of inventing a message", async () => {
    const writer = createWriter(
      { provider: "template", openaiApiKey: undefined, openaiBaseUrl: undefined, model: "x", timeoutMs: 1000, judge: false },
      silentLogger(),
    );
    const input = fixtureInput();
    await expect(writer.write({ ...input, playbook: { ...input.playbook, lifecycle_area: "mystery" } })).rejects.toThrow(/ENOENT/);
  });
});
