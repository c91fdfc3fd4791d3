/**
 * A URL elicitation the client declines or cancels never reached the approval
 * page: the refusal is recorded as the client's (`client:<name>`, via
 * "client"), not as a human's answer on the page. On every store engine.
 */
import type { ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";
import { GUARD_ENGINES } from "./engines.js";
import { approvalsOf, seededIdOf, statusOf, trailOf } from "./port-reads.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

for (const engineOf of GUARD_ENGINES) {
  const engine = engineOf();
  describe.skipIf(engine.skip !== undefined)(`URL elicitation declined or cancelled by the client on ${engine.name}`, () => {
    beforeAll(() => engine.start(), 120_000);
    afterAll(() => engine.close());
    for (const action of ["decline", "cancel"] as const) {
      it(`records a ${action} as the client's, not the page's`, async () => {
        h = await startHarness({
          env: await engine.freshEnv(),
          clientName: "acme-desktop",
          capabilities: { elicitation: { url: {} } },
          onElicit: (): ElicitResult => ({ action }),
        });
        const id = await seededIdOf(h.runtime, "planned", { flagged: false });
        const before = (await statusOf(h.runtime, id));
        expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/approval page/);
        expect((await statusOf(h.runtime, id))).toEqual(before);

        const answered = (await trailOf(h.runtime, id)).find((e) => e.event === "approval_answered")!;
        expect(answered).toMatchObject({ actor: "client:acme-desktop", detail: { via: "client", answer: `url_${action}`, approved: false } });
        const [row] = (await approvalsOf(h.runtime, id)) as unknown as Array<{ status: string; decided_by: string }>;
        expect(row).toMatchObject({ status: "denied", decided_by: "client:acme-desktop" });
        expect(JSON.stringify((await trailOf(h.runtime, id)))).not.toContain("human:page");
      });
    }
  });
}
