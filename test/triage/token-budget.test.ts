/**
 * Context economy, measured: the tokens an agent pays for `tools/list` (once
 * per session) and for a default `list_interventions` page (the call it makes
 * most). Counted with gpt-tokenizer's o200k_base over the JSON the client
 * receives; other models' tokenizers differ by a few percent. The committed
 * docs/token-budget.json and the README must quote exactly what is measured
 * here; after a deliberate change to the surface, refresh the file with
 * `UPDATE_TOKEN_BUDGET=1 npx vitest run test/triage/token-budget.test.ts`
 * and update the README's figures.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encode } from "gpt-tokenizer";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_PAGE_SIZE } from "../../src/tools/list-interventions.js";
import { startHarness, type Harness } from "../support/harness.js";

const TOOLS_LIST_BUDGET = 3_000;
const DEFAULT_PAGE_BUDGET = 10_000;
const OUTPUT = fileURLToPath(new URL("../../docs/token-budget.json", import.meta.url));
const README = fileURLToPath(new URL("../../README.md", import.meta.url));

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
  if (process.env.UPDATE_TOKEN_BUDGET === "1") writeFileSync(OUTPUT, `${JSON.stringify(measured, null, 2)}\n`);
  expect(JSON.parse(readFileSync(OUTPUT, "utf8")), "docs/token-budget.json is stale: see the header of this test").toEqual(measured);
  const readme = readFileSync(README, "utf8");
  const quoted = (n: number) => n.toLocaleString("en-US");
  expect(readme).toContain(`\`tools/list\` with every schema and annotation is **${quoted(measured.tools_list.tokens)} tokens**`);
  expect(readme).toContain(`default \`list_interventions\` page (20 compact rows) is **${quoted(measured.default_page.tokens)} tokens**`);

  expect(measured.tools_list.tokens).toBeLessThanOrEqual(TOOLS_LIST_BUDGET);
  expect(measured.default_page.tokens).toBeLessThanOrEqual(DEFAULT_PAGE_BUDGET);
  expect(measured.default_page.tokens).toBeLessThan(measured.full_page.tokens);
});
