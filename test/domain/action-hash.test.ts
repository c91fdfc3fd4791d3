/**
 * What an approval is bound to: every fact that decides what reaches the
 * recipient, or whether it does, changes the action hash; what is only shown
 * to the human (reasoning, confidence, checks) does not, and neither does the
 * order in which a backend returns the fields.
 */
import { describe, expect, it } from "vitest";
import type { DetailedIntervention } from "../../src/api/schemas.js";
import { actionFactsOf, actionHash, displayFactsOf } from "../../src/domain/action-hash.js";

const intervention = {
  id: "int_hash0000000000000001",
  user_id: "user-1",
  playbook_id: "00000000-0000-4000-8000-000000000001",
  status: "planned",
  channel: "email",
  subject: "A quick note",
  message_body: "Hi Maya, a quick note.",
  reasoning: "Engagement 0.4.",
  confidence: 0.7,
  planned_at: "2026-01-01T00:00:00.000Z",
  approved_at: null,
  sent_at: null,
  delivered_at: null,
  flagged: false,
  flag_reason: null,
  quality_checks: null,
  provenance: null,
  version: 3,
} as unknown as DetailedIntervention;

const hashOf = (change: Partial<DetailedIntervention>, action: "approve" | "rollback" = "approve", reason?: string) =>
  actionHash(actionFactsOf(action, { ...intervention, ...change } as DetailedIntervention, reason));

describe("the action hash", () => {
  it("states every bound fact, and nothing else", () => {
    expect(actionFactsOf("rollback", intervention, "sent by mistake")).toEqual({
      action: "rollback",
      intervention_id: intervention.id,
      version: 3,
      status: "planned",
      user_id: "user-1",
      channel: "email",
      subject: "A quick note",
      message_body: "Hi Maya, a quick note.",
      planned_at: "2026-01-01T00:00:00.000Z",
      approved_at: null,
      sent_at: null,
      delivered_at: null,
      flagged: false,
      reason: "sent by mistake",
    });
    const bare = { ...intervention, subject: undefined, version: undefined, approved_at: undefined, sent_at: undefined, delivered_at: undefined } as unknown as DetailedIntervention;
    expect(actionFactsOf("approve", bare)).toMatchObject({ version: null, subject: null, approved_at: null, sent_at: null, delivered_at: null, reason: null });
  });

  it("changes with each fact a human approves", () => {
    const base = hashOf({});
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    const changes: Partial<DetailedIntervention>[] = [
      { id: "int_hash0000000000000002" },
      { version: 4 },
      { status: "paused" },
      { user_id: "user-2" },
      { channel: "in_app" },
      { subject: "Another note" },
      { message_body: "Hi Maya, another note." },
      { planned_at: "2026-01-02T00:00:00.000Z" },
      { approved_at: "2026-01-01T01:00:00.000Z" },
      { sent_at: "2026-01-01T02:00:00.000Z" },
      { delivered_at: "2026-01-01T03:00:00.000Z" },
      { flagged: true },
    ];
    const hashes = changes.map((change) => hashOf(change));
    expect(new Set([base, ...hashes]).size).toBe(changes.length + 1);
    expect(hashOf({}, "rollback")).not.toBe(base);
    expect(hashOf({}, "rollback", "a")).not.toBe(hashOf({}, "rollback", "b"));
  });

  it("ignores what is only shown, and the order of the fields", () => {
    const base = hashOf({});
    expect(hashOf({ reasoning: "other", confidence: 0.1, flag_reason: "x", quality_checks: { passed: false, checks: [] } })).toBe(base);
    const reordered = Object.fromEntries(Object.entries(intervention).reverse()) as unknown as DetailedIntervention;
    expect(actionHash(actionFactsOf("approve", reordered))).toBe(base);
  });

  it("carries the display facts beside, for the human", () => {
    expect(displayFactsOf(intervention, { name: "Maya", address: "maya@example.com" })).toEqual({
      reasoning: "Engagement 0.4.",
      confidence: 0.7,
      flag_reason: null,
      quality_checks: null,
      provenance: null,
      sent_at: null,
      delivered_at: null,
      recipient: { name: "Maya", address: "maya@example.com" },
    });
    expect(displayFactsOf({ ...intervention, quality_checks: undefined, provenance: undefined } as unknown as DetailedIntervention)).toMatchObject({ quality_checks: null, provenance: null, recipient: null });
  });
});
