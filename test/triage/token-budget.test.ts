/**
 * Context economy, measured: the tokens an agent pays for `tools/list` (once
 * per session), for a default `list_interventions` page (the call it makes
 * most), for a page with detail "full" and for a dry-run with a preview.
 * Counted with gpt-tokenizer's o200k_base over the JSON the client receives,
 * text content and structured content both (a client may forward either or
 * both to its model); other models' tokenizers differ by a few percent. The committed
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
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

const TOOLS_LIST_BUDGET = 3_000;
const DEFAULT_PAGE_BUDGET = 10_000;
const FULL_PAGE_BUDGET = 20_000;
const DRY_RUN_BUDGET = 2_500;
const OUTPUT = fileURLToPath(new URL("../../docs/token-budget.json", import.meta.url));
const README = fileURLToPath(new URL("../../README.md", import.meta.url));

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const tokens = (value: unknown) => encode(JSON.stringify(value)).length;
const resultTokens = (result: CallToolResult) => tokens({ content: result.content, structuredContent: result.structuredContent });

/** A user the engine would contact now, found through the dry-run tool itself. */
async function userToContact(): Promise<string> {
  const { completion } = await h.client.complete({ ref: { type: "ref/resource", uri: "retivo://customers/{user_id}" }, argument: { name: "user_id", value: "" } });
  for (const user_id of completion.values) {
    const result = await h.ok<{ decision: { action: string } }>("dry_run_intervention", { user_id });
    if (result.decision.action === "intervene") return user_id;
  }
  throw new Error("no seeded user would be contacted");
}

it("keeps what an agent reads within budget, and records the numbers", async () => {
  const { tools } = await h.client.listTools();
  const page = await h.call("list_interventions");
  expect(page.isError).toBeFalsy();
  expect((page.structuredContent as { interventions: unknown[] }).interventions).toHaveLength(DEFAULT_PAGE_SIZE);
  const fullPage = await h.call("list_interventions", { detail: "full" });
  const dryRun = await h.call("dry_run_intervention", { user_id: await userToContact(), preview: true });
  expect(dryRun.isError).toBeFalsy();

  const measured = {
    tokenizer: "gpt-tokenizer o200k_base, over the JSON the client receives (text and structured content)",
    tools_list: { tools: tools.length, tokens: tokens({ tools }), budget: TOOLS_LIST_BUDGET },
    default_page: { rows: DEFAULT_PAGE_SIZE, detail: "compact", tokens: resultTokens(page), budget: DEFAULT_PAGE_BUDGET },
    full_page: { rows: DEFAULT_PAGE_SIZE, detail: "full", tokens: resultTokens(fullPage), budget: FULL_PAGE_BUDGET },
    dry_run_preview: { tokens: resultTokens(dryRun), budget: DRY_RUN_BUDGET },
  };
  if (process.env.UPDATE_TOKEN_BUDGET === "1") writeFileSync(OUTPUT, `${JSON.stringify(measured, null, 2)}\n`);
  expect(JSON.parse(readFileSync(OUTPUT, "utf8")), "docs/token-budget.json is stale: see the header of this test").toEqual(measured);
  const readme = readFileSync(README, "utf8");
  const quoted = (n: number) => n.toLocaleString("en-US");
  for (const figure of [measured.tools_list, measured.default_page, measured.full_page, measured.dry_run_preview]) {
    expect(readme, "README's context-economy table is stale: see the header of this test").toContain(`| **${quoted(figure.tokens)}** | ${quoted(figure.budget)} |`);
    expect(figure.tokens).toBeLessThanOrEqual(figure.budget);
  }
  expect(measured.default_page.tokens).toBeLessThan(measured.full_page.tokens);
});
