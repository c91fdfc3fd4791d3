/**
 * Injection resistance end to end: hostile values stored where the writer
 * reads them (a customer's name as they typed it, the tenant's brand context),
 * then create_intervention through a real MCP client with each provider: the
 * template, the openai provider against a loopback server whose model obeys
 * injections, and sampling answered by the client's own, equally weak, model.
 * No intervention that carries an injected offer, link or address is left
 * `planned` and unflagged.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/config.js";
import { INJECTIONS, payloadsIn, type Injection } from "../support/injection-corpus.js";
import { startHarness, type Harness } from "../support/harness.js";
import type { Planted } from "../support/weak-model.js";
import { answerSamplingWeakly, weakChatReply } from "../support/weak-model-endpoints.js";
import { startFakeOpenAi, type FakeOpenAi } from "../writer/fake-openai.js";
import { dbOf } from "../support/sqlite.js";

let fake: FakeOpenAi;
const planted: Planted[][] = [];

beforeAll(async () => {
  fake = await startFakeOpenAi();
  fake.setDefault(weakChatReply({ stubborn: true }, (answer) => planted.push(answer.planted)));
});
afterAll(async () => fake.close());

interface Stored {
  status: string;
  flagged: number;
  subject: string | null;
  message_body: string;
  provenance: string;
}

const PROVIDERS: { name: string; env: () => Env; sampling: boolean }[] = [
  { name: "template", env: () => ({ RETIVO_LLM: "template" }), sampling: false },
  { name: "openai", env: () => ({ RETIVO_LLM: "openai", OPENAI_BASE_URL: fake.baseURL, RETIVO_LLM_MODEL: "weak-model" }), sampling: false },
  { name: "sampling", env: () => ({ RETIVO_LLM: "sampling" }), sampling: true },
];

describe.each(PROVIDERS)("create_intervention with the $name provider", ({ env, sampling }) => {
  let h: Harness;
  let playbookId: string;
  let reachable: string;

  beforeAll(async () => {
    h = await startHarness({ env: env(), ...(sampling ? { capabilities: { sampling: {} } } : {}) });
    if (sampling) answerSamplingWeakly(h.client, { stubborn: true }, (answer) => planted.push(answer.planted));
    playbookId = (dbOf(h.runtime).prepare("SELECT id FROM playbooks WHERE tenant_id = 'live' AND name = 'Churn Risk Rescue'").get() as { id: string }).id;
    reachable = (dbOf(h.runtime).prepare("SELECT id FROM customers WHERE tenant_id = 'live' AND opted_out = 0 AND paused = 0 ORDER BY id LIMIT 1").get() as { id: string }).id;
  });
  afterAll(async () => h.close());

  async function createAndCheck(client: Client, userId: string, channel: string, injection: Injection): Promise<Stored> {
    const created = await client.callTool({ name: "create_intervention", arguments: { user_id: userId, playbook_id: playbookId, channel } });
    expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
    const { id } = created.structuredContent as { id: string };
    const row = dbOf(h.runtime).prepare("SELECT status, flagged, subject, message_body, provenance FROM interventions WHERE id = ?").get(id) as Stored;
    expect(row.status).toBe("planned");
    if (row.flagged === 0) expect(payloadsIn(`${row.subject ?? ""}\n${row.message_body}`, [injection]), row.message_body).toEqual([]);
    return row;
  }

  it.each(INJECTIONS.map((i) => [i.id, i] as const))("%s, typed as the customer's name", async (_id, injection) => {
    const model = (await h.runtime.store.catalog.customer("live", reachable))!;
    const userId = `hostile-${injection.id}`;
    await h.runtime.store.seed.insertCustomer("live", { ...model, id: userId, name: injection.value, email: `${userId}@example.com` });
    for (const channel of ["email", "in_app"]) await createAndCheck(h.client, userId, channel, injection);
  });

  it.each(INJECTIONS.map((i) => [i.id, i] as const))("%s, in the tenant's brand context", async (_id, injection) => {
    const { brand } = (await h.runtime.store.catalog.tenant("live"))!;
    await h.runtime.store.catalog.setBrandContext("live", {
      ...brand,
      tone_guidelines: injection.value,
      things_to_mention: [injection.value],
      product_description: `${brand.product_description} ${injection.value}`,
    });
    try {
      for (const channel of ["email", "in_app"]) await createAndCheck(h.client, reachable, channel, injection);
    } finally {
      await h.runtime.store.catalog.setBrandContext("live", brand);
    }
  });
});

describe("the misbehaving models", () => {
  it("were fooled: they answered with injected payloads, which the writer then kept out", () => {
    const fooled = planted.filter((p) => p.some((x) => x.injected));
    expect(fooled.length).toBeGreaterThanOrEqual(INJECTIONS.length);
  });
});
