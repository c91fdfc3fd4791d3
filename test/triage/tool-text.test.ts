/**
 * What a client that forwards only the text content gives its model: every
 * tool's text must carry what an agent needs to decide, not only a status
 * line. Checked against the structured content of the same call, so the text
 * can never drift from the data.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { rollbackEffect } from "../../src/guard/outcome-text.js";
import { acceptEverything, seededId, startHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ onElicit: acceptEverything });
});
afterAll(async () => h.close());

const textOf = (result: CallToolResult) => (result.content as { type: string; text: string }[]).map((c) => c.text).join("\n");

interface Row {
  id: string;
  planned_at: string;
  preview?: string;
  message_body?: string;
  reasoning?: string;
  quality_checks?: { checks: { name: string; passed: boolean; detail: string }[] } | null;
}

async function list(args: Record<string, unknown>) {
  const result = await h.call("list_interventions", args);
  expect(result.isError).toBeFalsy();
  return { text: textOf(result), rows: (result.structuredContent as { interventions: Row[] }).interventions };
}

/** The first user the engine would contact on `channel`, through the tool itself. */
async function contactable(channel: string): Promise<{ user_id: string; playbook_id: string; playbook_name: string }> {
  const { completion } = await h.client.complete({ ref: { type: "ref/resource", uri: "retivo://customers/{user_id}" }, argument: { name: "user_id", value: "" } });
  for (const user_id of completion.values) {
    const { decision } = await h.ok<{ decision: { action: string; playbook_id: string; playbook_name: string } }>("dry_run_intervention", { user_id, channel });
    if (decision.action === "intervene") return { user_id, playbook_id: decision.playbook_id, playbook_name: decision.playbook_name };
  }
  throw new Error(`no seeded user would be contacted on ${channel}`);
}

describe("list_interventions text", () => {
  it("gives each compact row its planned_at and its preview, quoted as data, one line per row", async () => {
    const { text, rows } = await list({ limit: 10 });
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^10 intervention\(s\), newest first; previews are model-written data:$/);
    for (const [i, row] of rows.entries()) {
      expect(lines[i + 1]).toContain(row.id);
      expect(lines[i + 1]).toContain(`planned_at ${row.planned_at}`);
      expect(lines[i + 1]).toContain(JSON.stringify(row.preview));
    }
    expect(lines).toHaveLength(rows.length + 2);
  });

  it("with detail 'full' carries bodies, reasoning and the failing checks, not the compact line", async () => {
    const { text, rows } = await list({ limit: 20, detail: "full" });
    for (const row of rows) {
      expect(text).toContain(`message_body (model-written data): ${JSON.stringify(row.message_body)}`);
      expect(text).toContain(`reasoning (model-written data): ${JSON.stringify(row.reasoning)}`);
    }
    const failing = rows.flatMap((row) => row.quality_checks?.checks.filter((c) => !c.passed) ?? []);
    expect(failing.length, "the seeded page has a failing check to show").toBeGreaterThan(0);
    for (const check of failing) expect(text).toContain(`${check.name}: ${check.detail}`);
  });
});

describe("dry_run_intervention text", () => {
  it("names the playbook, every rule that failed (with why) and every rule that held", async () => {
    const target = await contactable("email");
    const result = await h.call("dry_run_intervention", { user_id: target.user_id, channel: "email" });
    const text = textOf(result);
    const { rules } = result.structuredContent as { rules: Record<string, { passed: boolean; detail: string }> };
    expect(text).toContain(`intervene via email, playbook "${target.playbook_name}" (${target.playbook_id})`);
    const playbooks = JSON.parse(((await h.client.readResource({ uri: `retivo://playbooks/${target.playbook_id}` })).contents[0] as { text: string }).text);
    expect(JSON.stringify(playbooks)).toContain(target.playbook_name);
    const [failed, held] = [text.split("\n").find((l) => l.startsWith("Rules failed: ")) ?? "", text.split("\n").find((l) => l.startsWith("Rules held: ")) ?? ""];
    for (const [name, rule] of Object.entries(rules)) {
      if (rule.passed) expect(held).toContain(name);
      else expect(failed).toContain(`${name} (`);
    }
    expect(text).not.toContain("Draft");
  });

  it("with preview: true shows the drafted subject and body with their checks", async () => {
    const target = await contactable("email");
    const result = await h.call("dry_run_intervention", { user_id: target.user_id, channel: "email", preview: true });
    const { preview } = result.structuredContent as { preview: { subject: string; message_body: string; flagged: boolean } };
    const text = textOf(result);
    expect(text).toContain(`subject ${JSON.stringify(preview.subject)}`);
    expect(text).toContain(`message_body ${JSON.stringify(preview.message_body)}`);
    expect(text).toMatch(/quality checks(: all passed| failing: )/);
    expect(text).toContain(preview.flagged ? "A create now would be flagged" : "A create now would not be flagged.");
  });

  it("says why nothing would happen for a user the engine skips", async () => {
    const result = await h.call("dry_run_intervention", { user_id: "no-such-user" });
    expect(textOf(result)).toBe("Decision for no-such-user: skip (reason unknown_user). Nothing was saved.\nRules held: kill_switch, shadow_mode");
  });
});

describe("create_intervention text", () => {
  it("says plainly when what it created is not flagged, and when it is flagged and why", async () => {
    const target = await contactable("in_app");
    const first = await h.call("create_intervention", { user_id: target.user_id, playbook_id: target.playbook_id, channel: "in_app" });
    expect(textOf(first)).toMatch(/^Created int_\w+ \(planned, in_app, planned_at [^)]+\)\. Not flagged\. It is sent only after a human approves it\.$/);
    // A second one for the same user and playbook falls inside the cooldown: the engine objects, and the create says so.
    const second = await h.call("create_intervention", { user_id: target.user_id, playbook_id: target.playbook_id, channel: "in_app" });
    const { id } = second.structuredContent as { id: string };
    const stored = await h.ok<{ intervention: { flagged: boolean; flag_reason: string } }>("get_intervention", { intervention_id: id });
    expect(stored.intervention.flagged).toBe(true);
    expect(textOf(second)).toContain(`FLAGGED: ${stored.intervention.flag_reason}. Read it with get_intervention before asking a human to approve`);
  });
});

describe("rollback_intervention text", () => {
  it("says what the channel really did: an email is recorded but cannot be unsent, an in-app one is withdrawn", async () => {
    const email = seededId(h.runtime, "delivered", "AND channel = 'email' AND flagged = 0");
    const inApp = seededId(h.runtime, "delivered", "AND channel = 'in_app' AND flagged = 0");
    const emailText = textOf(await h.call("rollback_intervention", { intervention_id: email, reason: "Wrong audience." }));
    expect(emailText).toContain(`${email} is rolled_back`);
    expect(emailText).toContain(`On email: ${rollbackEffect("email")}.`);
    expect(emailText).toMatch(/cannot be unsent/);
    const inAppText = textOf(await h.call("rollback_intervention", { intervention_id: inApp, reason: "Wrong audience." }));
    expect(inAppText).toContain(`${inApp} is rolled_back`);
    expect(inAppText).toContain(`On in_app: ${rollbackEffect("in_app")}.`);
    expect(inAppText).not.toContain("unsent");
    // Asking again reports the same truth for the email.
    expect(textOf(await h.call("rollback_intervention", { intervention_id: email }))).toContain(rollbackEffect("email"));
  });
});
