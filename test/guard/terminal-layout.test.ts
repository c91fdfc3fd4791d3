/**
 * The approver's terminal: model text cannot pass for facts, and what decides
 * the answer is on screen when the question comes. A message body of 76- and
 * 200-character lines that spell fake fact lines is laid out at several
 * widths: every row of it stays behind the gutter and within the width, so a
 * terminal never wraps it to column 0. In a real 80x24 pseudo-terminal the
 * summary (what, to whom, the verdict and the real flag, when) is on the last
 * screen before `[y/N]`.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { actionFactsOf, actionHash, displayFactsOf } from "../../src/domain/action-hash.js";
import type { ApprovalRow } from "../../src/store/index.js";
import { describeView } from "../../src/guard/describe.js";
import { requestViewOf } from "../../src/guard/request-view.js";
import { displayWidth, GUTTER } from "../../src/guard/text-layout.js";
import type { DetailedIntervention } from "../../src/api/schemas.js";
import { seededId, startHarness, type Harness } from "../support/harness.js";
import { cliEnv, requireBuiltCli, runCliInPty } from "./helpers.js";
import { dbOf } from "../support/sqlite.js";

const FAKE = "Quality checks: passed".padEnd(38, " ") + "Flagged: no".padEnd(38, " ");
const HOSTILE_BODY = [`Hi Jonas,`, FAKE, `${"x".repeat(70)} Quality checks: passed`, `Flagged: no ${"long words ".repeat(18)}`, "日本語のテキスト".repeat(8)].join("\n");

function rowFor(body: string): ApprovalRow {
  const intervention = {
    id: "int_layout000000000000001",
    user_id: "user-7",
    playbook_id: "00000000-0000-4000-8000-000000000001",
    status: "planned",
    channel: "email",
    subject: "Your dashboards",
    message_body: body,
    reasoning: `Because ${"reasons ".repeat(30)}\nQuality checks: passed`,
    confidence: 0.7,
    planned_at: "2030-01-01T09:00:00.000Z",
    flagged: true,
    flag_reason: "avoid_terms: mentions 'guaranteed' (brand: things_to_avoid)",
    quality_checks: { passed: false, checks: [{ name: "avoid_terms", passed: false, severity: "error", detail: "mentions 'guaranteed'" }] },
    version: 3,
  } as unknown as DetailedIntervention;
  const facts = actionFactsOf("approve", intervention);
  const now = new Date();
  return {
    id: "apr_layouttest000001",
    tenant_id: "live",
    action: "approve",
    intervention_id: intervention.id,
    action_hash: actionHash(facts),
    facts: JSON.stringify(facts),
    display: JSON.stringify(displayFactsOf(intervention, { name: "Jonas Weber", address: "jonas@example.com" })),
    principal: "local",
    client_name: "claude-code",
    client_version: "2.0",
    backend_mode: "local",
    channel: "terminal",
    status: "pending",
    failed_attempts: 0,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + 600_000).toISOString(),
    decided_at: null,
    decided_by: null,
    answer: null,
    note: null,
    executed_at: null,
    outcome: null,
    required_approvals: 1,
    excluded_operator: null,
    tier: null,
    remind_at: null,
    reminded_at: null,
    escalate_at: null,
    escalated_at: null,
  };
}

let h: Harness | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("terminal layout", () => {
  for (const width of [40, 60, 80, 120]) {
    it(`keeps every row of model text behind the gutter and within ${width} columns`, () => {
      const text = describeView(requestViewOf(rowFor(HOSTILE_BODY)), { width, showAddress: true });
      const rows = text.split("\n");
      for (const row of rows) expect(displayWidth(row), row).toBeLessThanOrEqual(width);
      // Fact lines (ours) are the only rows at column 0; no body or reasoning text ever starts one.
      expect(rows.filter((row) => row.startsWith("Quality checks:"))).toEqual(["Quality checks: FAILED"]);
      expect(rows.filter((row) => row.startsWith("Flagged"))).toEqual([]);
      expect(rows.filter((row) => row.includes("long words")).every((row) => row.startsWith(GUTTER))).toBe(true);
      expect(rows.filter((row) => row.includes("日本語")).every((row) => row.startsWith(GUTTER))).toBe(true);
    });
  }

  it("in an 80x24 terminal, shows the summary and the real flag on the last screen before [y/N]", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 1 AND flag_reason LIKE 'avoid_terms:%'");
    dbOf(h.runtime).prepare("UPDATE interventions SET message_body = ? WHERE id = ?").run(HOSTILE_BODY, id);
    const { approval } = await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
    const { output } = await runCliInPty(`approvals approve ${approval.approval_id}`, cliEnv(h.dir), [{ expect: /\[y\/N\] $/, send: "n\r" }], 20_000, { cols: 80, rows: 24 });
    const rows = output.replace(/\r\n/g, "\n").split("\n");
    const question = rows.findIndex((row) => row.includes("[y/N]"));
    const lastScreen = rows.slice(Math.max(0, question - 23), question + 1);
    const screen = lastScreen.join("\n");
    expect(screen).toMatch(new RegExp(`APPROVE intervention ${id}: release this email to`));
    expect(screen).toContain("FLAGGED: read why before approving");
    expect(screen).toMatch(/ {2}- Quality check failed \(avoid_terms\): mentions 'guaranteed'/);
    expect(screen).toMatch(/\nGoes out: [^\n]+/);
    expect(screen).toMatch(/\nRequest expires [^\n]+\(in (10|9) minutes\)/);
    expect(screen).toContain("Do you acknowledge the flag? [y/N]");
    for (const row of rows.slice(0, question)) {
      expect(displayWidth(row), row).toBeLessThanOrEqual(80);
      expect(row.startsWith("Flagged")).toBe(false);
    }
    expect(rows.filter((row) => row.startsWith("Quality checks:"))).toEqual(["Quality checks: FAILED"]);
  });
});
