/**
 * Every prompt file renders with fixture inputs through the same variable
 * builders the providers use, so a misspelt or new `{{variable}}` fails here
 * rather than in front of a model or an end user.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { CHANNELS } from "../../src/api/schemas.js";
import { LIFECYCLE_AREAS } from "../../src/domain/catalog.js";
import {
  brandVars,
  channelVars,
  chatPromptFor,
  factsVars,
  judgeRequest,
  judgeVars,
  repairRequest,
  repairVars,
} from "../../src/writer/chat-prompt.js";
import { listPromptIds, loadPrompt, PROMPTS_DIR, PromptTemplateError, render, variablesOf } from "../../src/writer/prompts.js";
import { messageVars, reasoningVars, splitReasoningVariants, splitVariants, writeFromTemplate } from "../../src/writer/template.js";
import { dataOf } from "../support/data-blocks.js";
import { fixtureInput } from "./fixtures.js";

const input = fixtureInput({ area: "win_back", channel: "email" });

/** The variables each prompt file is rendered with in production, built by the production builders. */
function varsFor(id: string): Record<string, string> {
  if (id === "system") return brandVars(input);
  if (id === "facts") return factsVars(input);
  if ((CHANNELS as readonly string[]).includes(id)) return channelVars(input, "(facts)");
  if (id === "repair") return repairVars(["offers: '50' matches no allowed offer"]);
  if (id === "judge") return judgeVars(writeFromTemplate(input), input);
  if (id === "templates/reasoning") return reasoningVars(input, input.offers[0]!);
  if (id.startsWith("templates/")) return messageVars("Maya", "An offer for you: x.", "Worth knowing: y.");
  throw new Error(`no variables known for prompt ${id}: add it to the writer and to this test`);
}

describe("prompt files", () => {
  const ids = listPromptIds();

  it("are all found, with a template for every lifecycle area and channel", () => {
    expect(ids).toEqual(expect.arrayContaining(["system", "facts", "email", "in_app", "webhook", "repair", "judge", "templates/reasoning"]));
    for (const area of LIFECYCLE_AREAS) for (const channel of CHANNELS) expect(ids).toContain(`templates/${area}.${channel}`);
  });

  it.each(listPromptIds())("%s renders with its production variables and no leftover tag", (id) => {
    const file = loadPrompt(id);
    const vars = varsFor(id);
    for (const name of variablesOf(file.text)) expect(Object.keys(vars), `${id} uses {{${name}}}`).toContain(name);
    const rendered = render(file.text, vars, id);
    expect(rendered).not.toMatch(/\{\{|\}\}/);
    expect(file.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("template files split into variants, email ones each with a subject", () => {
    for (const area of LIFECYCLE_AREAS) {
      for (const channel of CHANNELS) {
        const variants = splitVariants(loadPrompt(`templates/${area}.${channel}`), channel);
        expect(variants.length, `${area}.${channel}`).toBeGreaterThanOrEqual(2);
        for (const v of variants) {
          expect(v.body.length).toBeGreaterThan(40);
          if (channel === "email") expect(v.subject).toMatch(/\S/);
        }
      }
    }
    expect(splitReasoningVariants(loadPrompt("templates/reasoning")).length).toBeGreaterThanOrEqual(2);
  });

  it("chat, repair and judge prompts render through the providers' own code", () => {
    for (const channel of CHANNELS) {
      const prompt = chatPromptFor(fixtureInput({ channel }));
      expect(prompt.id).toBe(`chat/${channel}`);
      expect(dataOf(prompt.user, "person")).toMatchObject({ first_name: "Maya", activation_score: 0.82 });
      expect(dataOf(prompt.system, "brand")).toMatchObject({ product_description: expect.stringContaining("Acme Boards"), link_hosts: ["acme.example"] });
    }
    expect(dataOf<string[]>(repairRequest(["pii: contains an email address"]), "problems")).toEqual(["pii: contains an email address"]);
    expect(dataOf(judgeRequest(writeFromTemplate(input), input).user, "message")).toMatchObject({ message_body: expect.stringMatching(/^(Hi|Hello) Maya,/) });
  });

  it("the hash changes with the template text and nothing else", () => {
    const a = chatPromptFor(fixtureInput({ channel: "email" }));
    const b = chatPromptFor(fixtureInput({ channel: "email", firstName: "Omar" }));
    const c = chatPromptFor(fixtureInput({ channel: "in_app" }));
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
  });
});

describe("the strict template engine", () => {
  it("throws on an unknown variable, naming it and the known ones", () => {
    expect(() => render("Hi {{frist_name}}", { first_name: "Maya" }, "greeting")).toThrow(PromptTemplateError);
    expect(() => render("Hi {{frist_name}}", { first_name: "Maya" }, "greeting")).toThrow(
      "greeting: unknown variable {{frist_name}}; known: first_name",
    );
  });

  it("throws on malformed or unbalanced tags", () => {
    expect(() => render("Hi {{ first name }}", { first_name: "x" })).toThrow(/malformed tag/);
    expect(() => render("Hi {{#if x}}", {})).toThrow(/malformed tag/);
    expect(() => render("Hi {{first_name}", { first_name: "x" })).toThrow(/unbalanced/);
  });

  it("allows unused variables and never re-expands inserted values", () => {
    expect(render("Hi {{ first_name }}!", { first_name: "{{x}}", unused: "y" })).toBe("Hi {{x}}!");
  });

  it("is inherited by real files: a bad variable in a real template throws", () => {
    expect(() => render(loadPrompt("templates/upsell.email").text, { first_name: "Maya" })).toThrow(/unknown variable \{\{offer_line\}\}/);
  });
});

describe("the prompts directory", () => {
  it("resolves from src/writer and would from dist/writer alike", () => {
    expect(existsSync(join(PROMPTS_DIR, "system.md"))).toBe(true);
    const fromDist = new URL("../../prompts/", pathToFileURL(join(PROMPTS_DIR, "..", "dist", "writer", "prompts.js")));
    expect(fromDist.pathname).toBe(pathToFileURL(PROMPTS_DIR).pathname);
  });

  const built = join(PROMPTS_DIR, "..", "dist", "writer", "prompts.js");
  it.skipIf(!existsSync(built))("the built module finds the same directory", async () => {
    const mod = (await import(pathToFileURL(built).href)) as { PROMPTS_DIR: string };
    expect(mod.PROMPTS_DIR).toBe(PROMPTS_DIR);
  });
});
