/**
 * What a human's approval is bound to, seen through a real MCP client: the
 * exact version of the intervention (a change that alters nothing but the
 * version still voids it), and only an action the status machine allows (the
 * human is never asked about one it would refuse).
 */
import type { ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { acceptConfirmed, approvalRows, auditOf, events } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("an approval is for one version", () => {
  it("voids the approval when only the version moved while the human looked (flagged again with another reason)", async () => {
    let id = "";
    h = await startHarness({
      onElicit: async (request: ElicitRequest) => {
        // Status, text and flag stay as the human saw them; the review reason, and so the version, do not.
        await h!.runtime.store.interventions.flag("live", id, "second look: legal asked", "agent:other", new Date());
        return acceptConfirmed(request);
      },
    });
    id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.runtime.store.interventions.flag("live", id, "first look: tone", "agent:test-client", new Date());
    const before = storedStatus(h.runtime, id);

    expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/void: .*changed since the human approved it \(now status planned, version \d+\)/);
    expect(storedStatus(h.runtime, id)).toEqual({ status: "planned", flagged: 1, version: before.version + 1 });
    expect(events(h.runtime, id)).not.toContain("approval_executed");
    const voided = auditOf(h.runtime, id).filter((e) => e.event === "approval_voided");
    expect(voided.map((e) => [e.actor, e.detail.was])).toEqual([["system:guard", "approved"]]);
    expect(approvalRows(h.runtime, id).map((row) => row.status)).toEqual(["void"]);
  });
});

describe("the status machine before the human", () => {
  for (const [tool, status, args] of [
    ["approve_intervention", "rejected", {}],
    ["approve_intervention", "delivered", {}],
    ["rollback_intervention", "planned", { reason: "sent by mistake" }],
  ] as const) {
    it(`refuses ${tool} on a ${status} intervention without asking anyone`, async () => {
      const asked: ElicitRequest[] = [];
      h = await startHarness({ onElicit: (request) => (asked.push(request), acceptConfirmed(request)) });
      const id = seededId(h.runtime, status);
      const before = storedStatus(h.runtime, id);
      const error = await h.fails(tool, { intervention_id: id, ...args });
      expect(error).toContain(`its status is '${status}'`);
      expect(asked).toEqual([]);
      expect(approvalRows(h.runtime, id)).toEqual([]);
      expect(events(h.runtime, id).filter((e) => e.startsWith("approval_"))).toEqual([]);
      expect(storedStatus(h.runtime, id)).toEqual(before);
    });
  }
});
