/**
 * Context economy, measured: the tokens an agent pays for `tools/list` (once
 * per session) and for a default `list_interventions` page (the call it makes
 * most). Counted with gpt-tokenizer's o200k_base over the JSON the client
 * receives; other models' tokenizers differ by a few percent. The numbers are
 * written to docs/token-budget.json, which the README quotes.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encode } from "gpt-tokenizer";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_PAGE_SIZE } from "../../src/tools/list-interventions.js";
import { startHarness, type Harness } from "../support/harness.js";

const TOOLS_LIST_BUDGET = 3_000;
const DEFAULT_PAGE_BUDGET = 10_000;
const OUTPUT = fileURLToPath(new URL("../../docs/token-budget.json", import.meta.url));

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const tokens = (value: unknown) => encode(JSON.stringify(value)).length;

it("keeps tools/list and a default page within budget, and records the numbers", async () => {
  const { tools } = await h.client.listTools();
  const page = await h.call("list_interventions");
  expect(page.isError).toBeFalsy();
  expect((page.structuredContent as { interventions: unknown[] }).interventions).toHaveLength(DEFAULT_PAGE_SIZE);
  const fullPage = await h.call("list_interventions", { detail: "full" });

  const measured = {
    tokenizer: "gpt-tokenizer o200k_base, over the JSON the client receives",
    tools_list: { tools: tools.length, tokens: tokens({ tools }), budget: TOOLS_LIST_BUDGET },
    default_page: {
      rows: DEFAULT_PAGE_SIZE,
      detail: "compact",
      tokens: tokens({ content: page.content, structuredContent: page.structuredContent }),
      budget: DEFAULT_PAGE_BUDGET,
    },
    // For comparison only: what the same page costs with detail "full".
    full_page: { rows: DEFAULT_PAGE_SIZE, detail: "full", tokens: tokens({ content: fullPage.content, structuredContent: fullPage.structuredContent }) },
  };
  writeFileSync(OUTPUT, `${JSON.stringify(measured, null, 2)}\n`);

  expect(measured.tools_list.tokens).toBeLessThanOrEqual(TOOLS_LIST_BUDGET);
  expect(measured.default_page.tokens).toBeLessThanOrEqual(DEFAULT_PAGE_BUDGET);
  expect(measured.default_page.tokens).toBeLessThan(measured.full_page.tokens);
});
