/**
 * Every resource and resource template through a real MCP client on the
 * seeded local store, their id completions, their not-found errors, what they
 * must never show (the webhook secret, customer emails). API mode: api-mode.test.ts.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededId, startHarness, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  // A secret the settings resource must never reveal.
  dbOf(h.runtime).prepare("UPDATE tenants SET webhook_url = ?, webhook_secret = ? WHERE id = 'live'").run(
    "https://hooks.example.test/retivo?token=abc",
    "whsec_must_not_leak",
  );
});
afterAll(async () => h.close());

async function readJson<T = Record<string, unknown>>(client: Client, uri: string): Promise<T> {
  const result = await client.readResource({ uri });
  expect(result.contents).toHaveLength(1);
  const [content] = result.contents as { uri: string; mimeType: string; text: string }[];
  expect(content!.uri).toBe(uri);
  expect(content!.mimeType).toBe("application/json");
  return JSON.parse(content!.text) as T;
}

async function completeTemplate(client: Client, uri: string, name: string, value: string): Promise<string[]> {
  const result = await client.complete({ ref: { type: "ref/resource", uri }, argument: { name, value } });
  return result.completion.values;
}

function customerIds(): string[] {
  return (dbOf(h.runtime).prepare("SELECT id FROM customers WHERE tenant_id = 'live' ORDER BY id").all() as { id: string }[]).map((r) => r.id);
}

describe("resource listing", () => {
  it("lists the static resources and every template", async () => {
    const { resources } = await h.client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toContain("retivo://playbooks");
    expect(uris).toContain("retivo://settings");
    // The playbook template lists each playbook, since there are few.
    expect(uris.some((u) => u.startsWith("retivo://playbooks/"))).toBe(true);
    const { resourceTemplates } = await h.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      "retivo://customers/{user_id}",
      "retivo://interventions/{id}",
      "retivo://playbooks/{id}",
    ]);
    expect(h.client.getServerCapabilities()?.completions).toBeDefined();
    expect(h.client.getInstructions()).toContain("retivo://settings");
  });
});

describe("retivo://interventions/{id}", () => {
  it("returns the full intervention, its audit trail and its deliveries", async () => {
    const id = seededId(h.runtime, "delivered");
    const doc = await readJson<{
      intervention: { id: string; status: string; message_body: string };
      audit_trail: { event: string; actor: string }[];
      deliveries: { kind: string; outcome: string }[];
      note: string;
    }>(h.client, `retivo://interventions/${id}`);
    expect(doc.intervention.id).toBe(id);
    expect(doc.intervention.status).toBe("delivered");
    expect(doc.intervention.message_body.length).toBeGreaterThan(0);
    expect(Array.isArray(doc.audit_trail)).toBe(true);
    expect(Array.isArray(doc.deliveries)).toBe(true);
    expect(doc.note).toMatch(/model-written data/);
  });

  it("shows a change made through a tool in the audit trail", async () => {
    const id = seededId(h.runtime, "planned");
    await h.ok("flag_intervention", { intervention_id: id, reason: "Mentions a price we do not offer." });
    const doc = await readJson<{ audit_trail: { event: string; actor: string; detail: { reason?: string } }[] }>(
      h.client,
      `retivo://interventions/${id}`,
    );
    const flagged = doc.audit_trail.find((e) => e.event === "flagged");
    expect(flagged?.actor).toBe("agent:test-client");
    expect(flagged?.detail.reason).toBe("Mentions a price we do not offer.");
  });

  it("completes ids by prefix, newest first", async () => {
    const id = seededId(h.runtime, "planned");
    const values = await completeTemplate(h.client, "retivo://interventions/{id}", "id", id.slice(0, 7));
    expect(values).toContain(id);
    expect(values.every((v) => v.startsWith(id.slice(0, 7)))).toBe(true);
    expect(values.length).toBeLessThanOrEqual(20);
    expect(await completeTemplate(h.client, "retivo://interventions/{id}", "id", "int_zzzzzzzzzzzzzzzzzzzz")).toEqual([]);
  });

  it("answers an unknown id with resource-not-found", async () => {
    await expect(h.client.readResource({ uri: "retivo://interventions/int_doesnotexist000000" })).rejects.toMatchObject({
      code: -32002,
      message: expect.stringMatching(/list_interventions/),
    });
  });
});

describe("retivo://customers/{user_id}", () => {
  it("gives stage, scores, risk, opt-out/pause and recent interventions, but never the email", async () => {
    const { user_id: userId } = dbOf(h.runtime).prepare("SELECT user_id FROM interventions WHERE tenant_id = 'live' LIMIT 1").get() as {
      user_id: string;
    };
    const doc = await readJson<{ customer: Record<string, unknown>; recent_interventions: { user_id: string; preview: string }[] }>(
      h.client,
      `retivo://customers/${encodeURIComponent(userId)}`,
    );
    for (const field of ["lifecycle_stage", "activation_score", "engagement_score", "expansion_score", "health", "risk_level", "opted_out", "paused"]) {
      expect(doc.customer).toHaveProperty(field);
    }
    expect(doc.customer).not.toHaveProperty("email");
    expect(JSON.stringify(doc)).not.toMatch(/@[a-z0-9-]+\.[a-z]/i);
    expect(doc.recent_interventions.length).toBeGreaterThan(0);
    expect(doc.recent_interventions.every((r) => r.user_id === userId && typeof r.preview === "string")).toBe(true);
  });

  it("completes user ids by prefix", async () => {
    const ids = customerIds();
    const first = ids[0]!;
    const prefix = first.slice(0, Math.max(1, first.length - 1));
    const values = await completeTemplate(h.client, "retivo://customers/{user_id}", "user_id", prefix);
    expect(values).toContain(first);
    expect(values.every((v) => v.startsWith(prefix))).toBe(true);
  });

  it("answers an unknown user with resource-not-found", async () => {
    await expect(h.client.readResource({ uri: "retivo://customers/nobody-here" })).rejects.toMatchObject({ code: -32002 });
  });
});

describe("retivo://playbooks", () => {
  it("indexes every playbook compactly, and each one reads in full", async () => {
    const index = await readJson<{ playbooks: { id: string; name: string; channels: string[]; uri: string }[] }>(h.client, "retivo://playbooks");
    const stored = dbOf(h.runtime).prepare("SELECT COUNT(*) AS n FROM playbooks WHERE tenant_id = 'live'").get() as { n: number };
    expect(index.playbooks).toHaveLength(stored.n);
    const first = index.playbooks[0]!;
    const full = await readJson<{ playbook: { id: string; entry_conditions: unknown; constraints: { channels: string[] }; strategy_hints: unknown } }>(
      h.client,
      first.uri,
    );
    expect(full.playbook.id).toBe(first.id);
    expect(full.playbook.constraints.channels).toEqual(first.channels);
    expect(full.playbook.entry_conditions).toBeTypeOf("object");
  });

  it("completes playbook ids by id prefix or by name", async () => {
    const index = await readJson<{ playbooks: { id: string; name: string }[] }>(h.client, "retivo://playbooks");
    const target = index.playbooks[0]!;
    const byId = await completeTemplate(h.client, "retivo://playbooks/{id}", "id", target.id.slice(0, 6));
    expect(byId).toContain(target.id);
    const byName = await completeTemplate(h.client, "retivo://playbooks/{id}", "id", target.name.slice(0, 5).toLowerCase());
    expect(byName).toContain(target.id);
  });

  it("answers an unknown playbook with resource-not-found", async () => {
    await expect(h.client.readResource({ uri: "retivo://playbooks/00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({
      code: -32002,
    });
  });
});

describe("retivo://settings", () => {
  it("shows the kill switch, shadow mode and brand context, never the webhook secret", async () => {
    const doc = await readJson<{
      kill_switch_active: boolean;
      shadow_mode: boolean;
      brand: { tone_guidelines: string; things_to_avoid: string[] };
      webhook: { configured: boolean; origin: string | null };
    }>(h.client, "retivo://settings");
    expect(doc.kill_switch_active).toBe(false);
    expect(doc.shadow_mode).toBeTypeOf("boolean");
    expect(Array.isArray(doc.brand.things_to_avoid)).toBe(true);
    expect(doc.webhook).toMatchObject({ configured: true, origin: "https://hooks.example.test" });
    const raw = (await h.client.readResource({ uri: "retivo://settings" })).contents[0] as { text: string };
    expect(raw.text).not.toContain("whsec_must_not_leak");
    expect(raw.text).not.toContain("token=abc");
  });

  it("shows the message policy the writer's checks hold every message to", async () => {
    const doc = await readJson<{ message_policy: Record<string, unknown> }>(h.client, "retivo://settings");
    expect(doc.message_policy).toEqual({
      postal_address: expect.stringContaining("Springfield"),
      unsubscribe: "{{unsubscribe_url}}",
      ai_disclosure: "This message was drafted with the help of AI.",
      max_emoji: 0,
      link_hosts: ["lumen.example"],
    });
  });

  it("reflects the kill switch as the store has it", async () => {
    dbOf(h.runtime).prepare("UPDATE tenants SET kill_switch_active = 1 WHERE id = 'live'").run();
    try {
      expect((await readJson<{ kill_switch_active: boolean }>(h.client, "retivo://settings")).kill_switch_active).toBe(true);
    } finally {
      dbOf(h.runtime).prepare("UPDATE tenants SET kill_switch_active = 0 WHERE id = 'live'").run();
    }
  });
});
