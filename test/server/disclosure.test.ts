/**
 * AI disclosure through a real MCP client: the intervention, its resource and
 * its audit event all say whether a model wrote the text (`generated`), which
 * provider and model, and the prompt hash; with the tenant's disclosure line
 * set, model-written text carries it and template text does not.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CreateMessageRequestSchema, type CreateMessageResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf } from "../support/data-blocks.js";
import { startHarness, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

const DISCLOSURE = "This message was drafted with the help of AI.";

/** A client model that writes a clean message from the data blocks. */
function answerCleanly(client: Client): void {
  client.setRequestHandler(CreateMessageRequestSchema, async (request): Promise<CreateMessageResult> => {
    const prompt = (request.params.messages[0]!.content as { text: string }).text;
    const person = dataOf<{ first_name: string; engagement_score: number }>(prompt, "person")!;
    const answer = {
      subject: prompt.startsWith("Write an email") ? `${person.first_name}, a note from the team` : null,
      message_body: `Hi ${person.first_name}, thanks for being with us. Reply any time if you would like a hand.`,
      reasoning: `Engagement is ${person.engagement_score}.`,
      confidence: 0.6,
      offer_ids: [],
    };
    return { role: "assistant", model: "client-llm-7", content: { type: "text", text: JSON.stringify(answer) } };
  });
}

interface Read {
  intervention: { message_body: string; provenance: Record<string, unknown>; quality_checks: { checks: { name: string; passed: boolean }[] } };
  audit_trail: { event: string; detail: { provenance?: Record<string, unknown> } }[];
}

async function createAndRead(h: Harness, client: Client, userId: string): Promise<Read> {
  const playbook = dbOf(h.runtime).prepare("SELECT id FROM playbooks WHERE tenant_id = 'live' AND name = 'Churn Risk Rescue'").get() as { id: string };
  const created = await client.callTool({ name: "create_intervention", arguments: { user_id: userId, playbook_id: playbook.id, channel: "email" } });
  expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
  const { id } = created.structuredContent as { id: string };
  const tool = (await client.callTool({ name: "get_intervention", arguments: { intervention_id: id } })).structuredContent as Pick<Read, "intervention">;
  const resource = await client.readResource({ uri: `retivo://interventions/${id}` });
  const read = JSON.parse((resource.contents[0] as { text: string }).text) as Read;
  expect(read.intervention.provenance).toEqual(tool.intervention.provenance);
  return read;
}

describe("AI disclosure", () => {
  let h: Harness;
  /** Customers who may be messaged, one per case. */
  let users: string[];

  beforeAll(async () => {
    h = await startHarness({ env: { RETIVO_LLM: "auto" }, capabilities: { sampling: {} } });
    answerCleanly(h.client);
    users = (dbOf(h.runtime).prepare("SELECT id FROM customers WHERE tenant_id = 'live' AND opted_out = 0 AND paused = 0 ORDER BY id LIMIT 3").all() as { id: string }[]).map((r) => r.id);
  });
  afterAll(async () => h.close());

  it("marks model-written text generated, with provider, model and prompt hash, and appends the tenant's line", async () => {
    const read = await createAndRead(h, h.client, users[0]!);
    const { provenance, message_body, quality_checks } = read.intervention;
    expect(provenance).toMatchObject({ provider: "sampling", generated: true, model: "client-llm-7", prompt_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const created = read.audit_trail.find((e) => e.event === "created")!;
    expect(created.detail.provenance).toEqual({ generated: true, provider: "sampling", model: "client-llm-7", prompt_hash: provenance.prompt_hash });
    // The line follows the model's text, before the email footer the law asks for.
    const { policy } = (await h.runtime.store.catalog.tenant("live"))!;
    expect(message_body).toContain(`would like a hand.\n\n${DISCLOSURE}\n\n--\n${policy.postal_address}\nUnsubscribe: ${policy.unsubscribe}`);
    expect(quality_checks.checks.find((c) => c.name === "ai_disclosure")).toMatchObject({ passed: true });
  });

  it("marks template text not generated, without the line", async () => {
    const plain = await h.connectAnother({ capabilities: {} });
    const read = await createAndRead(h, plain, users[1]!);
    expect(read.intervention.provenance).toMatchObject({ provider: "template", generated: false });
    expect(read.audit_trail.find((e) => e.event === "created")!.detail.provenance).toMatchObject({ generated: false, provider: "template" });
    expect(read.intervention.message_body).not.toContain(DISCLOSURE);
  });

  it("adds no line and no check when the tenant sets none", async () => {
    const tenant = (await h.runtime.store.catalog.tenant("live"))!;
    await h.runtime.store.catalog.setMessagePolicy("live", { ...tenant.policy, ai_disclosure: null });
    try {
      const read = await createAndRead(h, h.client, users[2]!);
      expect(read.intervention.provenance).toMatchObject({ generated: true });
      expect(read.intervention.message_body).not.toContain(DISCLOSURE);
      expect(read.intervention.quality_checks.checks.map((c) => c.name)).not.toContain("ai_disclosure");
    } finally {
      await h.runtime.store.catalog.setMessagePolicy("live", tenant.policy);
    }
  });
});
