/**
 * A reason is stored exactly as sent or refused: a lone UTF-16 surrogate (half
 * of an emoji, cut off) cannot be stored as text, and SQLite would silently
 * replace it with U+FFFD, so it is refused with a clear error instead, over
 * MCP and over the REST server, and nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { startTestServer, type TestServer } from "../rest/support.js";

let h: Harness;
let t: TestServer;
beforeAll(async () => {
  h = await startHarness();
  t = await startTestServer();
});
afterAll(async () => {
  await h.close();
  await t.close();
});

describe("a lone surrogate in a reason", () => {
  it.each([
    ["flag_intervention", "cut emoji \uD83D here"],
    ["reject_intervention", "\uDE00 trailing half"],
  ])("%s refuses it, naming the problem, and changes nothing", async (tool, reason) => {
    const id = seededId(h.runtime, "planned");
    const before = storedStatus(h.runtime, id);
    const text = await h.fails(tool, { intervention_id: id, reason });
    expect(text).toMatch(/reason: .*unpaired UTF-16 surrogate/);
    expect(storedStatus(h.runtime, id)).toEqual(before);
  });

  it("a whole emoji is fine and stored exactly", async () => {
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.ok("flag_intervention", { intervention_id: id, reason: "tone is off 😀" });
    const { intervention } = await h.ok<{ intervention: { flag_reason: string } }>("get_intervention", { intervention_id: id });
    expect(intervention.flag_reason).toBe("tone is off 😀");
  });

  it("the REST server answers 400 and stores nothing", async () => {
    const id = t.db.prepare("SELECT id FROM interventions WHERE tenant_id = 'test' AND status = 'planned' LIMIT 1").pluck().get() as string;
    const response = await t.call("PUT", `/api/interventions/${id}/reject`, {
      rawBody: '{"reason": "half \\ud83d"}',
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/unpaired UTF-16 surrogate/);
    expect(t.db.prepare("SELECT status FROM interventions WHERE id = ?").pluck().get(id)).toBe("planned");
  });
});
