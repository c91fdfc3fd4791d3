/**
 * What an approve waiting for a human tells the agent, word for word: the
 * tool to call again is the approve tool (guarded-call.test.ts shows a
 * rollback's), and nothing changed meanwhile.
 */
import { afterEach, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("an approve waiting for a human", () => {
  it("names approve_intervention as the call that learns the outcome", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const result = await h.call("approve_intervention", { intervention_id: id });
    const { approval } = result.structuredContent as { approval: { approval_id: string; expires_at: string; instructions: string } };
    expect((result.content as { text: string }[])[0]!.text).toBe(
      `Waiting for a human: nothing happens to ${id} until one decides (approval ${approval.approval_id}, expires ${approval.expires_at}). ` +
        `Show the human this, verbatim: "${approval.instructions}" Afterwards, call approve_intervention for ${id} again to learn the outcome.`,
    );
    expect(storedStatus(h.runtime, id).status).toBe("planned");
  });
});
