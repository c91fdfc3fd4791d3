/**
 * The openai provider is loaded lazily. A failed load (package missing, the
 * client refusing its options) is a provider failure: the template answers,
 * provenance says why, and the failure is not remembered, so a later call
 * loads again.
 */
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { createWriter, type WriterOptions } from "../../src/writer/index.js";
import type { OpenAiWriter } from "../../src/writer/openai.js";
import { writeFromTemplate } from "../../src/writer/template.js";
import { fixtureInput } from "./fixtures.js";

const CONFIG = { provider: "openai" as const, openaiApiKey: "sk-test", openaiBaseUrl: undefined, model: "gpt-test", timeoutMs: 1000, judge: false };

/** A stand-in for the real openai writer, recognisable by its provenance. */
function fakeOpenAiWriter(): OpenAiWriter {
  return {
    model: "gpt-test",
    async write(input) {
      const output = writeFromTemplate(input);
      return { ...output, provenance: { ...output.provenance, provider: "openai", model: "gpt-test" } };
    },
    async askJson() {
      return null;
    },
  };
}

type Loader = NonNullable<WriterOptions["loadOpenAi"]>;

describe("loading the openai provider", () => {
  it("falls back to the template when the package cannot be imported, then retries the load on a later call", async () => {
    let loads = 0;
    const loadOpenAi: Loader = async () => {
      loads++;
      if (loads === 1) throw new Error("Cannot find package 'openai'");
      return { createOpenAiWriter: () => fakeOpenAiWriter() };
    };
    const writer = createWriter(CONFIG, silentLogger(), { loadOpenAi });

    const first = await writer.write(fixtureInput());
    expect(first.provenance).toMatchObject({ provider: "template", attempted_provider: "openai" });
    expect(first.provenance.fallback_reason).toBe("openai: openai package unavailable: Cannot find package 'openai'");

    const second = await writer.write(fixtureInput({ firstName: "Omar" }));
    expect(loads).toBe(2);
    expect(second.provenance).toMatchObject({ provider: "openai", model: "gpt-test" });
    expect(second.provenance.fallback_reason).toBeUndefined();

    // Loaded once it worked: not loaded again.
    await writer.write(fixtureInput({ firstName: "Lena" }));
    expect(loads).toBe(2);
  });

  it("treats a client that cannot be created as a provider failure too, and does not remember it", async () => {
    let creations = 0;
    const loadOpenAi: Loader = async () => ({
      createOpenAiWriter: () => {
        creations++;
        if (creations === 1) throw new TypeError("Invalid URL");
        return fakeOpenAiWriter();
      },
    });
    const writer = createWriter(CONFIG, silentLogger(), { loadOpenAi });
    const first = await writer.write(fixtureInput());
    expect(first.provenance.fallback_reason).toBe("openai: openai client could not be created: Invalid URL");
    const second = await writer.write(fixtureInput({ firstName: "Omar" }));
    expect(second.provenance.provider).toBe("openai");
  });

  it("lets the judge answer nothing rather than fail when the package cannot be loaded", async () => {
    const writer = createWriter({ ...CONFIG, judge: true }, silentLogger(), {
      loadOpenAi: () => Promise.reject(new TypeError("Cannot find package 'openai'")),
    });
    const output = writeFromTemplate(fixtureInput());
    await expect(writer.judge!(output, fixtureInput())).resolves.toEqual([]);
  });
});
