/**
 * Sampling through the real server: a real MCP Client that declares sampling
 * answers `sampling/createMessage` as its own model would, and the intervention
 * records it; a client that does not declare sampling gets the template.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CreateMessageRequestSchema, type CreateMessageRequest, type CreateMessageResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf } from "../support/data-blocks.js";
import { startHarness, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

/** A scripted client model: reads the facts from the prompt's data blocks and answers with grounded JSON. */
function answerLikeAModel(prompt: string): string {
  const person = dataOf<{ first_name: string; activation_score: number }>(prompt, "person");
  const offer = dataOf<{ offers: { id: string; text: string }[] }>(prompt, "playbook")?.offers[0];
  const firstName = person?.first_name ?? "there";
  const email = prompt.startsWith("Write an email");
  return JSON.stringify({
    subject: email ? `${firstName}, a quick note from us` : null,
    message_body: `Hi ${firstName}, thanks for being with us. Reply any time if you would like a hand.${offer ? ` ${offer.text}` : ""}`,
    reasoning: `Chosen by the playbook; activation is ${person?.activation_score ?? 0}.`,
    confidence: 0.66,
    offer_ids: offer ? [offer.id] : [],
  });
}

function samplingClient(requests: CreateMessageRequest["params"][], answer = answerLikeAModel) {
  return async (client: Client) => {
    client.setRequestHandler(CreateMessageRequestSchema, async (request): Promise<CreateMessageResult> => {
      requests.push(request.params);
      const content = request.params.messages[0]!.content as { type: string; text: string };
      return { role: "assistant", model: "client-llm-1", stopReason: "endTurn", content: { type: "text", text: answer(content.text) } };
    });
    return client;
  };
}

function playbookFor(h: Harness, channel: string): string {
  const rows = dbOf(h.runtime)
    .prepare("SELECT id, constraints FROM playbooks WHERE tenant_id = 'live' AND status = 'active' ORDER BY name")
    .all() as { id: string; constraints: string }[];
  const match = rows.find((r) => (JSON.parse(r.constraints) as { channels: string[] }).channels.includes(channel));
  if (!match) throw new Error(`no active playbook allows ${channel}`);
  return match.id;
}

async function createAndRead(client: Client, args: Record<string, unknown>) {
  const created = await client.callTool({ name: "create_intervention", arguments: args });
  expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
  const id = (created.structuredContent as { id: string }).id;
  const read = await client.callTool({ name: "get_intervention", arguments: { intervention_id: id } });
  return (read.structuredContent as { intervention: Record<string, unknown> }).intervention as {
    message_body: string;
    reasoning: string;
    flagged: boolean;
    provenance: Record<string, unknown>;
    quality_checks: { passed: boolean };
  };
}

describe("sampling through a real MCP client (RETIVO_LLM=auto, no OpenAI configured)", () => {
  let h: Harness;
  const requests: CreateMessageRequest["params"][] = [];

  beforeAll(async () => {
    h = await startHarness({ env: { RETIVO_LLM: "auto" }, capabilities: { sampling: {} } });
    await samplingClient(requests)(h.client);
  });
  afterAll(async () => h.close());

  it("writes the intervention with the client's model when the client declares sampling", async () => {
    const intervention = await createAndRead(h.client, { user_id: "user-1", playbook_id: playbookFor(h, "email"), channel: "email" });
    const customer = dbOf(h.runtime).prepare("SELECT name, email, company FROM customers WHERE tenant_id = 'live' AND id = 'user-1'").get() as {
      name: string;
      email: string;
      company: string | null;
    };

    expect(requests).toHaveLength(1);
    expect(intervention.provenance).toMatchObject({ provider: "sampling", prompt_id: "chat/email" });
    expect(intervention.provenance.fallback_reason).toBeUndefined();
    expect(intervention.message_body).toContain(`Hi ${customer.name.split(" ")[0]},`);
    // The draft itself is clean (the decision engine may still flag a manual create for other reasons).
    expect(intervention.quality_checks.passed).toBe(true);

    // Only grounded facts travel to the client's model: no email address, no company.
    const [request] = requests;
    const sent = `${request!.systemPrompt}\n${JSON.stringify(request!.messages)}`;
    expect(request!.maxTokens).toBeGreaterThan(0);
    expect(sent).not.toContain(customer.email);
    if (customer.company) expect(sent).not.toContain(customer.company);
  });

  it("lets a dry-run's draft serve the create that follows it: the client's model is asked once", async () => {
    const playbook_id = playbookFor(h, "email");
    let userId: string | undefined;
    let reasoning = "";
    for (let i = 5; i <= 200 && !userId; i++) {
      const before = requests.length;
      const result = await h.client.callTool({ name: "dry_run_intervention", arguments: { user_id: `user-${i}`, playbook_id, channel: "email" } });
      const decision = (result.structuredContent as { decision: { action: string; reasoning: string } }).decision;
      if (decision.action === "intervene") {
        expect(requests.length).toBe(before + 1);
        userId = `user-${i}`;
        reasoning = decision.reasoning;
      }
    }
    expect(userId, "some seeded user matches the playbook").toBeDefined();
    expect(reasoning).toMatch(/^Chosen by the playbook; activation is [\d.]+\.$/);

    const before = requests.length;
    const intervention = await createAndRead(h.client, { user_id: userId, playbook_id, channel: "email" });
    expect(requests.length).toBe(before);
    expect(intervention.reasoning).toBe(reasoning);
    expect(intervention.provenance).toMatchObject({ provider: "sampling", cache: "hit" });
  });

  it("gives a client without sampling the template, and says nothing failed", async () => {
    const plain = await h.connectAnother({ capabilities: {} });
    const before = requests.length;
    const intervention = await createAndRead(plain, { user_id: "user-2", playbook_id: playbookFor(h, "email"), channel: "email" });
    expect(requests).toHaveLength(before);
    expect(intervention.provenance).toMatchObject({ provider: "template" });
    expect(intervention.provenance.fallback_reason).toBeUndefined();
    // The draft itself is clean (the decision engine may still flag a manual create for other reasons).
    expect(intervention.quality_checks.passed).toBe(true);
  });
});

describe("sampling forced (RETIVO_LLM=sampling)", () => {
  let h: Harness;
  const requests: CreateMessageRequest["params"][] = [];

  beforeAll(async () => {
    h = await startHarness({ env: { RETIVO_LLM: "sampling" }, capabilities: { sampling: {} } });
    // The client's model keeps leaving a merge token in: repair fails too, so the template must answer.
    await samplingClient(requests, (prompt) => answerLikeAModel(prompt).replace(/Hi [^,]+,/, "Hi {{first_name}},"))(h.client);
  });
  afterAll(async () => h.close());

  it("replaces a client model's unusable answer with the template after one repair, and says why", async () => {
    const intervention = await createAndRead(h.client, { user_id: "user-3", playbook_id: playbookFor(h, "email"), channel: "email" });
    expect(requests).toHaveLength(2);
    const repair = (requests[1]!.messages[0]!.content as { text: string }).text;
    expect(repair).toContain("Your previous answer was:");
    expect(repair).toContain("placeholders: unresolved placeholder {{first_name}}");
    expect(intervention.provenance).toMatchObject({ provider: "template", attempted_provider: "sampling" });
    expect(String(intervention.provenance.fallback_reason)).toMatch(/^sampling: the answer still failed after one repair: placeholders/);
    // Only the tenant's own unsubscribe merge token, which the email service fills in, looks like one.
    expect(intervention.message_body.replaceAll("{{unsubscribe_url}}", "")).not.toContain("{{");
    // The draft itself is clean (the decision engine may still flag a manual create for other reasons).
    expect(intervention.quality_checks.passed).toBe(true);
  });

  it("falls back with the reason when the client has not declared sampling", async () => {
    const plain = await h.connectAnother({ capabilities: {} });
    const intervention = await createAndRead(plain, { user_id: "user-4", playbook_id: playbookFor(h, "in_app"), channel: "in_app" });
    expect(intervention.provenance).toMatchObject({
      provider: "template",
      fallback_reason: "sampling: the MCP client did not declare the sampling capability",
    });
  });
});

describe("sampled drafts stay with the client whose model wrote them", () => {
  let h: Harness;
  const requestsA: CreateMessageRequest["params"][] = [];
  const requestsB: CreateMessageRequest["params"][] = [];

  beforeAll(async () => {
    h = await startHarness({ env: { RETIVO_LLM: "sampling" }, capabilities: { sampling: {} }, clientName: "client-a" });
    await samplingClient(requestsA, (prompt) => answerLikeAModel(prompt).replace("thanks for being with us", "thanks from model A"))(h.client);
  });
  afterAll(async () => h.close());

  it("asks a second client's own model for the same facts instead of serving the first client's draft", async () => {
    const other = await h.connectAnother({ capabilities: { sampling: {} }, clientName: "client-b" });
    await samplingClient(requestsB, (prompt) => answerLikeAModel(prompt).replace("thanks for being with us", "thanks from model B"))(other);
    const args = { user_id: "user-6", playbook_id: playbookFor(h, "email"), channel: "email" };

    const fromA = await createAndRead(h.client, args);
    expect(requestsA).toHaveLength(1);
    expect(fromA.message_body).toContain("thanks from model A");

    const fromB = await createAndRead(other, args);
    expect(requestsB).toHaveLength(1);
    expect(requestsA).toHaveLength(1);
    expect(fromB.message_body).toContain("thanks from model B");
    expect(fromB.provenance.cache).toBeUndefined();

    // The same client asking again still gets its own cached draft.
    const againA = await createAndRead(h.client, args);
    expect(requestsA).toHaveLength(1);
    expect(againA.message_body).toContain("thanks from model A");
    expect(againA.provenance).toMatchObject({ provider: "sampling", cache: "hit" });
  });
});
