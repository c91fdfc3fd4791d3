/**
 * Consent through a real MCP client: an intervention whose user opts out (or
 * is paused) after it was planned shows up flagged in the triage queue, and
 * approve_intervention refuses it with a reason an agent can act on, even
 * after a human accepted the approval form. The seed plants one such case.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptEverything, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness;

// The human accepts every form: the refusal comes from the store, not from them.
beforeAll(async () => {
  h = await startHarness({ onElicit: acceptEverything });
});
afterAll(async () => h.close());

/** Plans an intervention the engine itself would plan, so only consent can flag it. */
async function planFor(): Promise<{ id: string; userId: string }> {
  for (let i = 1; i <= 200; i++) {
    const userId = `user-${i}`;
    const dry = await h.ok<{ decision: { action: string; playbook_id: string; channel: string } }>("dry_run_intervention", { user_id: userId });
    if (dry.decision.action !== "intervene") continue;
    const { id } = await h.ok<{ id: string }>("create_intervention", { user_id: userId, playbook_id: dry.decision.playbook_id, channel: dry.decision.channel });
    if (storedStatus(h.runtime, id).flagged === 0) return { id, userId };
  }
  throw new Error("no seeded user the engine would message");
}

describe("consent withdrawn after planning", () => {
  it("flags the intervention in the queue and refuses approve_intervention, naming the reason", async () => {
    const { id, userId } = await planFor();
    await h.runtime.store.catalog.setCustomerConsent("live", userId, { opted_out: true }, new Date());

    const queue = await h.ok<{ interventions: { id: string; flag_reason: string }[] }>("list_interventions", { flagged: true, user_id: userId });
    expect(queue.interventions.find((i) => i.id === id)?.flag_reason).toBe(`consent: ${userId} opted out after this was planned`);

    const text = await h.fails("approve_intervention", { intervention_id: id });
    expect(text).toContain(`${userId} opted out of messages after it was planned, so it must not be sent`);
    expect(storedStatus(h.runtime, id)).toMatchObject({ status: "planned", flagged: 1 });
  });

  it("refuses the consent case the seed plants, whatever the human answered", async () => {
    const planted = dbOf(h.runtime).prepare("SELECT id, user_id FROM interventions WHERE tenant_id = 'live' AND flag_reason LIKE 'consent:%'").get() as {
      id: string;
      user_id: string;
    };
    const text = await h.fails("approve_intervention", { intervention_id: planted.id });
    expect(text).toContain(`${planted.user_id} opted out of messages after it was planned`);
    expect(storedStatus(h.runtime, planted.id).status).toBe("planned");
  });
});
