/**
 * A URL elicitation the client declines or cancels never reached the approval
 * page: the refusal is recorded as the client's (`client:<name>`, via
 * "client"), not as a human's answer on the page.
 */
import type { ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { approvalRows, auditOf } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("URL elicitation declined or cancelled by the client", () => {
  for (const action of ["decline", "cancel"] as const) {
    it(`records a ${action} as the client's, not the page's`, async () => {
      h = await startHarness({
        clientName: "acme-desktop",
        capabilities: { elicitation: { url: {} } },
        onElicit: (): ElicitResult => ({ action }),
      });
      const id = seededId(h.runtime, "planned", "AND flagged = 0");
      const before = storedStatus(h.runtime, id);
      expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/approval page/);
      expect(storedStatus(h.runtime, id)).toEqual(before);

      const answered = auditOf(h.runtime, id).find((e) => e.event === "approval_answered")!;
      expect(answered).toMatchObject({ actor: "client:acme-desktop", detail: { via: "client", answer: `url_${action}`, approved: false } });
      const [row] = approvalRows(h.runtime, id) as unknown as Array<{ status: string; decided_by: string }>;
      expect(row).toMatchObject({ status: "denied", decided_by: "client:acme-desktop" });
      expect(JSON.stringify(auditOf(h.runtime, id))).not.toContain("human:page");
    });
  }
});
