/**
 * Which audit event each outcome of a guarded call gets, and what its detail
 * says: the trail is how an operator reconstructs who asked, who answered and
 * what ran, so each row is checked here by event, actor and detail. On every
 * store engine (SQLite, PGlite, a real PostgreSQL server when one is named).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { answerApproval } from "../../src/guard/human-answer.js";
import { sweepExpired } from "../../src/guard/sweep.js";
import { startHarness, type Harness } from "../support/harness.js";
import { GUARD_ENGINES } from "./engines.js";
import { acceptConfirmed, decline } from "./helpers.js";
import { approvalsOf, seededIdOf, statusOf, trailOf } from "./port-reads.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Pending {
  approval: { approval_id: string };
}

const HASH = expect.stringMatching(/^[0-9a-f]{64}$/);

for (const engineOf of GUARD_ENGINES) {
  const engine = engineOf();
  describe.skipIf(engine.skip !== undefined)(`the guard's audit trail on ${engine.name}`, () => {
    beforeAll(() => engine.start(), 120_000);
    afterAll(() => engine.close());
    it("an approval through the form: requested, answered, the transition, executed", async () => {
      h = await startHarness({ env: await engine.freshEnv(), onElicit: acceptConfirmed });
      const id = await seededIdOf(h.runtime, "planned", { flagged: false });
      const { version } = (await statusOf(h.runtime, id));
      await h.ok("approve_intervention", { intervention_id: id });
      const [row] = (await approvalsOf(h.runtime, id));
      const about = { approval_id: row!.id, action: "approve", action_hash: HASH, channel: "form", client: "test-client 1.0.0" };
      expect((await trailOf(h.runtime, id)).map(({ event, actor, detail }) => ({ event, actor, detail }))).toEqual([
        { event: "approval_requested", actor: "agent:test-client", detail: { ...about, backend: "local", principal: "local" } },
        {
          event: "approval_answered",
          actor: "form:test-client",
          detail: { ...about, via: "form", answer: "accept", approved: true, note: "looks right", acknowledged_flag: false },
        },
        { event: "approved", actor: expect.stringMatching(/^form:test-client \(approval apr_.*requested by test-client 1\.0\.0\)$/), detail: { from: "planned", to: "approved", version: version + 1 } },
        { event: "approval_executed", actor: "system:guard", detail: { ...about, decided_by: "form:test-client", note: "looks right", status: "approved" } },
      ]);
    });

    it("a declined form: answered as refused, then the agent's refusal with its reason", async () => {
      h = await startHarness({ env: await engine.freshEnv(), onElicit: decline });
      const id = await seededIdOf(h.runtime, "planned", { flagged: false });
      await h.fails("approve_intervention", { intervention_id: id });
      const trail = (await trailOf(h.runtime, id));
      expect(trail.map((e) => e.event)).toEqual(["approval_requested", "approval_answered", "approval_refused"]);
      expect(trail[1]).toMatchObject({ actor: "form:test-client", detail: { via: "form", approved: false, answer: "decline" } });
      expect(trail[2]).toMatchObject({ actor: "agent:test-client", detail: { action: "approve", client: "test-client 1.0.0", reason: expect.stringMatching(/declined/) } });
    });

    it("a request nobody answered: expired by the system, with what it was", async () => {
      h = await startHarness({ env: await engine.freshEnv() });
      const id = await seededIdOf(h.runtime, "planned", { flagged: false });
      await h.ok<Pending>("approve_intervention", { intervention_id: id });
      await sweepExpired(h.runtime.store, new Date(Date.now() + 24 * 60 * 60_000));
      expect((await trailOf(h.runtime, id)).map((e) => [e.event, e.actor, e.detail.was])).toEqual([
        ["approval_requested", "agent:test-client", undefined],
        ["approval_expired", "system:guard", "pending"],
      ]);
      expect((await approvalsOf(h.runtime, id))).toMatchObject([{ status: "expired", outcome: "expired unanswered" }]);
    });

    it("a request whose intervention changed before anyone answered: voided with why, and a new one asked", async () => {
      h = await startHarness({ env: await engine.freshEnv() });
      const id = await seededIdOf(h.runtime, "planned", { flagged: false });
      await h.ok<Pending>("approve_intervention", { intervention_id: id });
      await h.runtime.store.interventions.flag("live", id, "tone", "agent:test-client", new Date());
      await h.ok<Pending>("approve_intervention", { intervention_id: id });
      const trail = (await trailOf(h.runtime, id)).filter((e) => e.event.startsWith("approval_"));
      expect(trail.map((e) => e.event)).toEqual(["approval_requested", "approval_voided", "approval_requested"]);
      expect(trail[1]).toMatchObject({
        actor: "system:guard",
        detail: { was: "pending", why: "the intervention changed since the request was made", current_hash: HASH, approval_id: (await approvalsOf(h.runtime, id))[0]!.id },
      });
      expect(trail[1]!.detail.current_hash).not.toBe(trail[1]!.detail.action_hash);
      expect((await approvalsOf(h.runtime, id)).map((r) => r.status)).toEqual(["void", "pending"]);
    });

    it("a denial in the terminal: answered by the human, and every later call refused with their note", async () => {
      h = await startHarness({ env: await engine.freshEnv() });
      const id = await seededIdOf(h.runtime, "planned", { flagged: false });
      const { approval } = await h.ok<Pending>("approve_intervention", { intervention_id: id });
      await answerApproval(h.runtime.store, approval.approval_id, { approve: false, via: "cli", answer: "deny", note: "not this week", interactive: true });
      expect(await h.fails("approve_intervention", { intervention_id: id })).toMatch(/A human denied this approve .*human:cli.*"not this week"/);
      const trail = (await trailOf(h.runtime, id));
      expect(trail.map((e) => [e.event, e.actor])).toEqual([
        ["approval_requested", "agent:test-client"],
        ["approval_answered", "human:cli"],
        ["approval_refused", "agent:test-client"],
      ]);
      expect(trail[1]!.detail).toMatchObject({ via: "cli", answer: "deny", approved: false, note: "not this week" });
      expect(trail[2]!.detail).toMatchObject({ approval_id: approval.approval_id, reason: expect.stringMatching(/^A human denied/) });
    });
  });
}
