/**
 * What a guarded tool tells the agent at each turn of the flow, through a
 * real MCP client: already there (and by whose approval), waiting for a
 * human (and what to show them), executed; and that a user's missing consent
 * is refused before any human is asked. On every store engine (SQLite,
 * PGlite, a real PostgreSQL server when one is named).
 */
import type { ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";
import { GUARD_ENGINES } from "./engines.js";
import { acceptConfirmed } from "./helpers.js";
import { approvalsOf, seededIdOf, statusOf } from "./port-reads.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function textOf(result: { content: unknown }): string {
  return (result.content as { text: string }[]).map((c) => c.text).join("\n");
}

for (const engineOf of GUARD_ENGINES) {
  const engine = engineOf();
  describe.skipIf(engine.skip !== undefined)(`guarded calls, turn by turn, on ${engine.name}`, () => {
    beforeAll(() => engine.start(), 120_000);
    afterAll(() => engine.close());
    it("says who approved and executed it, then, asked again, reports it as done without asking anyone", async () => {
      const asked: ElicitRequest[] = [];
      h = await startHarness({ env: await engine.freshEnv(), onElicit: (request) => (asked.push(request), acceptConfirmed(request)) });
      const id = await seededIdOf(h.runtime, "planned", { flagged: false });
      const first = await h.call("approve_intervention", { intervention_id: id });
      const [row] = (await approvalsOf(h.runtime, id));
      expect(textOf(first)).toBe(`${id} is approved: approved by form:test-client (approval ${row!.id}) and executed.`);
      const again = await h.call("approve_intervention", { intervention_id: id });
      expect(again.structuredContent).toEqual({ id, status: "approved" });
      expect(textOf(again)).toBe(`${id} is approved: approved by form:test-client (approval ${row!.id}) and executed at ${row!.executed_at}.`);
      expect(asked).toHaveLength(1);
      expect((await approvalsOf(h.runtime, id))).toHaveLength(1);
    });

    it("reports an intervention already there by another way as nothing to do", async () => {
      h = await startHarness({ env: await engine.freshEnv(), onElicit: acceptConfirmed });
      const id = await seededIdOf(h.runtime, "approved");
      const result = await h.call("approve_intervention", { intervention_id: id });
      expect(textOf(result)).toBe(`${id} is approved; nothing to do.`);
      expect((await approvalsOf(h.runtime, id))).toEqual([]);
    });

    it("without a form, tells the agent to wait, what to show the human verbatim, and which tool to call next", async () => {
      h = await startHarness({ env: await engine.freshEnv() });
      const id = await seededIdOf(h.runtime, "delivered");
      const result = await h.call("rollback_intervention", { intervention_id: id, reason: "sent by mistake" });
      const { approval } = result.structuredContent as { approval: { approval_id: string; expires_at: string; instructions: string; approval_url: string | null } };
      expect(result.structuredContent).toEqual({ id, status: "delivered", approval: { status: "pending_approval", approval_id: expect.stringMatching(/^apr_/), expires_at: expect.any(String), instructions: expect.any(String), approval_url: null } });
      expect(textOf(result)).toBe(
        `Waiting for a human: nothing happens to ${id} until one decides (approval ${approval.approval_id}, expires ${approval.expires_at}). ` +
          `Show the human this, verbatim: "${approval.instructions}" Afterwards, call rollback_intervention for ${id} again to learn the outcome.`,
      );
      expect((await statusOf(h.runtime, id)).status).toBe("delivered");
    });

    it("refuses to approve for a user who opted out, before any human is asked", async () => {
      const asked: ElicitRequest[] = [];
      h = await startHarness({ env: await engine.freshEnv(), onElicit: (request) => (asked.push(request), acceptConfirmed(request)) });
      const id = await seededIdOf(h.runtime, "planned", { flagged: false });
      const { user_id: userId } = (await h.runtime.store.interventions.get("live", id))!;
      await h.runtime.store.catalog.setCustomerConsent("live", userId, { opted_out: true }, new Date());
      expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/opted out/);
      expect(asked).toEqual([]);
      expect((await approvalsOf(h.runtime, id))).toEqual([]);
      expect((await statusOf(h.runtime, id)).status).toBe("planned");
    });
  });
}
