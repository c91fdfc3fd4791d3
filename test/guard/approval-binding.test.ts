/**
 * What a human's approval is bound to, seen through a real MCP client: the
 * exact version of the intervention (a change that alters nothing but the
 * version still voids it), and only an action the status machine allows (the
 * human is never asked about one it would refuse). On every store engine:
 * SQLite, PostgreSQL in-process (PGlite), and a real server when one is named.
 */
import type { ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";
import { GUARD_ENGINES } from "./engines.js";
import { acceptConfirmed } from "./helpers.js";
import { approvalsOf, eventsOf, seededIdOf, statusOf, trailOf } from "./port-reads.js";

for (const engineOf of GUARD_ENGINES) {
  const engine = engineOf();
  describe.skipIf(engine.skip !== undefined)(`approval binding on ${engine.name}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });
    beforeAll(() => engine.start(), 120_000);
    afterAll(() => engine.close());

    describe("an approval is for one version", () => {
      it("voids the approval when only the version moved while the human looked (flagged again with another reason)", async () => {
        let id = "";
        h = await startHarness({
          env: await engine.freshEnv(),
          onElicit: async (request: ElicitRequest) => {
            // Status, text and flag stay as the human saw them; the review reason, and so the version, do not.
            await h!.runtime.store.interventions.flag("live", id, "second look: legal asked", "agent:other", new Date());
            return acceptConfirmed(request);
          },
        });
        id = await seededIdOf(h.runtime, "planned", { flagged: false });
        await h.runtime.store.interventions.flag("live", id, "first look: tone", "agent:test-client", new Date());
        const before = await statusOf(h.runtime, id);

        expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/void: .*changed since the human approved it \(now status planned, version \d+\)/);
        expect(await statusOf(h.runtime, id)).toEqual({ status: "planned", flagged: 1, version: before.version + 1 });
        expect(await eventsOf(h.runtime, id)).not.toContain("approval_executed");
        const voided = (await trailOf(h.runtime, id)).filter((e) => e.event === "approval_voided");
        expect(voided.map((e) => [e.actor, e.detail.was])).toEqual([["system:guard", "approved"]]);
        expect((await approvalsOf(h.runtime, id)).map((row) => row.status)).toEqual(["void"]);
      });

      it("executes an approval for the version the human saw, once, and a second call only reports it", async () => {
        h = await startHarness({ env: await engine.freshEnv(), onElicit: acceptConfirmed });
        const id = await seededIdOf(h.runtime, "planned", { flagged: false });
        const before = await statusOf(h.runtime, id);
        await h.ok("approve_intervention", { intervention_id: id });
        expect(await statusOf(h.runtime, id)).toEqual({ status: "approved", flagged: 0, version: before.version + 1 });
        await h.ok("approve_intervention", { intervention_id: id });
        expect((await eventsOf(h.runtime, id)).filter((e) => e === "approved")).toHaveLength(1);
        expect((await approvalsOf(h.runtime, id)).map((row) => row.status)).toEqual(["executed"]);
        expect((await h.runtime.store.audit.verify()).ok).toBe(true);
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
          h = await startHarness({ env: await engine.freshEnv(), onElicit: (request) => (asked.push(request), acceptConfirmed(request)) });
          const id = await seededIdOf(h.runtime, status);
          const before = await statusOf(h.runtime, id);
          const error = await h.fails(tool, { intervention_id: id, ...args });
          expect(error).toContain(`its status is '${status}'`);
          expect(asked).toEqual([]);
          expect(await approvalsOf(h.runtime, id)).toEqual([]);
          expect((await eventsOf(h.runtime, id)).filter((e) => e.startsWith("approval_"))).toEqual([]);
          expect(await statusOf(h.runtime, id)).toEqual(before);
        });
      }
    });
  });
}
