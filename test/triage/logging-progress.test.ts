/**
 * MCP logging (tool failures reach the client as notifications/message, at
 * the level the client set) and progress notifications around generation.
 */
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededId, startHarness, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness;
const messages: LoggingMessageNotification["params"][] = [];

beforeAll(async () => {
  // A human who declines every approval: the guard refuses with a warning-level error.
  h = await startHarness({ onElicit: () => ({ action: "decline" }) });
  h.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(n.params));
});
afterAll(async () => h.close());

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("logging", () => {
  it("declares the capability and forwards a refused approval as a warning", async () => {
    expect(h.client.getServerCapabilities()?.logging).toBeDefined();
    await h.client.setLoggingLevel("warning");
    messages.length = 0;
    await h.fails("approve_intervention", { intervention_id: seededId(h.runtime, "planned") });
    await settle();
    expect(messages).toEqual([
      expect.objectContaining({ level: "warning", logger: "retivo-mcp", data: expect.objectContaining({ tool: "approve_intervention", code: "approval_refused" }) }),
    ]);
  });

  it("respects the client's level: routine refusals are info and stay quiet at warning", async () => {
    await h.client.setLoggingLevel("warning");
    messages.length = 0;
    await h.fails("get_intervention", { intervention_id: "int_doesnotexist" });
    await settle();
    expect(messages).toEqual([]);
    await h.client.setLoggingLevel("debug");
    await h.fails("get_intervention", { intervention_id: "int_doesnotexist" });
    await settle();
    expect(messages).toEqual([expect.objectContaining({ level: "info", data: expect.objectContaining({ code: "not_found" }) })]);
  });
});

describe("progress", () => {
  function anyActivePlaybook(): { id: string; channel: string } {
    const row = dbOf(h.runtime).prepare("SELECT id, constraints FROM playbooks WHERE tenant_id = 'live' AND status = 'active' LIMIT 1").get() as {
      id: string;
      constraints: string;
    };
    return { id: row.id, channel: (JSON.parse(row.constraints) as { channels: string[] }).channels[0]! };
  }

  it("create_intervention reports progress before generation and when done, increasing", async () => {
    const playbook = anyActivePlaybook();
    const { id: user_id } = dbOf(h.runtime).prepare("SELECT id FROM customers WHERE tenant_id = 'live' LIMIT 1").get() as { id: string };
    const reports: { progress: number; message?: string }[] = [];
    const result = await h.client.callTool(
      { name: "create_intervention", arguments: { user_id, playbook_id: playbook.id, channel: playbook.channel } },
      undefined,
      { onprogress: (p) => void reports.push(p) },
    );
    expect(result.isError).toBeFalsy();
    await settle();
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports[0]!.message).toMatch(/reading the customer/);
    expect(reports.at(-1)!.message).toBe("create_intervention done");
    const values = reports.map((r) => r.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
  });

  it("dry_run_intervention reports progress too, and a call without a progress token gets none", async () => {
    const { id: user_id } = dbOf(h.runtime).prepare("SELECT id FROM customers WHERE tenant_id = 'live' LIMIT 1").get() as { id: string };
    const reports: unknown[] = [];
    await h.client.callTool({ name: "dry_run_intervention", arguments: { user_id } }, undefined, { onprogress: (p) => void reports.push(p) });
    await settle();
    expect(reports.length).toBeGreaterThanOrEqual(2);
    // list_interventions never reports: it is fast and does not ask for a writer context.
    const listReports: unknown[] = [];
    await h.client.callTool({ name: "list_interventions", arguments: {} }, undefined, { onprogress: (p) => void listReports.push(p) });
    await settle();
    expect(listReports).toEqual([]);
  });
});
