/**
 * The quorum on every engine, with two engines on one store where two
 * operators decide at once: a decision per operator, the same operator never
 * counted twice, the requester's own operator refused, a reject ending the
 * request, the N-th distinct approval (and only it) approving, and a request
 * spent only once its approvals are counted in the spending transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDataSet } from "../../src/backend/local/seed.js";
import { actionFactsOf, actionHash, displayFactsOf } from "../../src/domain/action-hash.js";
import { toIntervention, type NewDecision, type Store } from "../../src/store/index.js";
import { ENGINE_KINDS, type Opened, type StoreUnderTest } from "./support/engines.js";

const NOW = new Date("2026-03-02T10:00:00.000Z");
let tenants = 0;

async function openRequest(store: Store, required: number, excludedOperator: string | null = null) {
  const tenantId = `q${++tenants}_${Date.now().toString(36)}`;
  const { data } = demoDataSet({ tenantId, seed: 7, now: NOW });
  await store.seed.seedTenant(data, NOW);
  const page = await store.interventions.list(tenantId, { limit: 1, status: "planned" as never });
  const row = (await store.interventions.get(tenantId, page.interventions[0]!.id))!;
  const facts = actionFactsOf("approve", toIntervention(row));
  const approval = await store.approvals.insert(
    {
      tenantId,
      facts,
      display: displayFactsOf(toIntervention(row)),
      hash: actionHash(facts),
      principal: "local",
      client: { name: "quorum", version: "1" },
      backendId: "local",
      channel: "terminal",
      now: NOW,
      ttlMs: 3600_000,
      tier: { rule: "two of three", required, excludedOperator, remindAfterMs: null, escalateAfterMs: null },
    },
    (r) => ({ tenant_id: tenantId, event: "approval_requested", intervention_id: row.id, actor: "agent:quorum", detail: { approval: r.id } }),
  );
  const spend = {
    tenantId,
    id: row.id,
    action: "approve" as const,
    actor: "test",
    now: NOW,
    approval: { id: approval.id, actionHash: actionHash(facts), reason: null, executed: { tenant_id: tenantId, event: "approval_executed", intervention_id: row.id, actor: "test" } },
  };
  return { approval, spend };
}

const decision = (approvalId: string, operator: string, approved = true): NewDecision => ({
  approvalId,
  operator,
  approved,
  answer: approved ? "approve" : "deny",
  channel: "cli",
  vouchedBy: "passphrase",
  note: null,
  now: NOW,
});
const noAudit = () => undefined;

for (const kind of ENGINE_KINDS) {
  describe.skipIf(kind.skip !== undefined)(`quorum: ${kind.name}`, () => {
    let target: StoreUnderTest;
    let a: Opened;
    let b: Opened;

    beforeAll(async () => {
      target = await kind.start();
      a = await target.open();
      b = await target.open();
    }, 60_000);
    afterAll(() => target?.close());

    it("counts distinct operators, refuses a repeat and the requester's own, and approves at the N-th", async () => {
      const { approval } = await openRequest(a.store, 2, "carol");
      expect(await a.store.approvals.recordDecision(decision(approval.id, "alice"), noAudit)).toMatchObject({ kind: "counted", approvers: ["alice"] });
      expect((await b.store.approvals.recordDecision(decision(approval.id, "alice"), noAudit)).kind).toBe("repeated");
      expect((await b.store.approvals.recordDecision(decision(approval.id, "carol"), noAudit)).kind).toBe("excluded");
      expect((await a.store.approvals.get(approval.id))!.status).toBe("pending");
      expect(await b.store.approvals.recordDecision(decision(approval.id, "bob"), noAudit)).toMatchObject({ kind: "approved", approvers: ["alice", "bob"] });
      expect(await a.store.approvals.get(approval.id)).toMatchObject({ status: "approved", decided_by: "alice, bob" });
      expect((await a.store.approvals.decisionsOf(approval.id)).map((d) => [d.operator, d.answer])).toEqual([
        ["alice", "approve"],
        ["bob", "approve"],
      ]);
      // Decided: a third operator changes nothing.
      expect((await a.store.approvals.recordDecision(decision(approval.id, "dave"), noAudit)).kind).toBe("closed");
    });

    it("ends the request on one reject, even after approvals", async () => {
      const { approval } = await openRequest(a.store, 2);
      await a.store.approvals.recordDecision(decision(approval.id, "alice"), noAudit);
      expect((await b.store.approvals.recordDecision(decision(approval.id, "bob", false), noAudit)).kind).toBe("denied");
      expect(await a.store.approvals.get(approval.id)).toMatchObject({ status: "denied", decided_by: "bob" });
      expect((await a.store.approvals.recordDecision(decision(approval.id, "carol"), noAudit)).kind).toBe("closed");
    });

    it("approves exactly once when the last two operators decide at once on two engines", async () => {
      for (let round = 0; round < 5; round++) {
        const { approval } = await openRequest(a.store, 3);
        await a.store.approvals.recordDecision(decision(approval.id, "alice"), noAudit);
        const kinds = (
          await Promise.all([a.store.approvals.recordDecision(decision(approval.id, "bob"), noAudit), b.store.approvals.recordDecision(decision(approval.id, "carol"), noAudit)])
        ).map((r) => r.kind);
        expect(kinds.sort()).toEqual(["approved", "counted"]);
        expect((await a.store.approvals.get(approval.id))!.status).toBe("approved");
      }
    });

    it("spends a request only once its tier's approvals are in, once, from either engine", async () => {
      const { approval, spend } = await openRequest(a.store, 2);
      await a.store.approvals.recordDecision(decision(approval.id, "alice"), noAudit);
      await expect(a.store.interventions.transition(spend)).rejects.toThrow(/already used or has expired/);
      await b.store.approvals.recordDecision(decision(approval.id, "bob"), noAudit);
      const results = await Promise.allSettled([a.store.interventions.transition(spend), b.store.interventions.transition(spend)]);
      expect(results.filter((r) => r.status === "fulfilled" && r.value.moved).length).toBe(1);
      expect((await a.store.approvals.get(approval.id))!.status).toBe("executed");
    });
  });
}

for (const kind of ENGINE_KINDS) {
  describe.skipIf(kind.skip !== undefined)(`reminders claimed once: ${kind.name}`, () => {
    let target: StoreUnderTest;
    let a: Opened;
    let b: Opened;

    beforeAll(async () => {
      target = await kind.start();
      a = await target.open();
      b = await target.open();
    }, 60_000);
    afterAll(() => target?.close());

    it("sends each due reminder and escalation once across two engines, none before it is due or after expiry", async () => {
      const { data } = demoDataSet({ tenantId: "rem", seed: 7, now: NOW });
      await a.store.seed.seedTenant(data, NOW);
      const page = await a.store.interventions.list("rem", { limit: 1, status: "planned" as never });
      const row = (await a.store.interventions.get("rem", page.interventions[0]!.id))!;
      const facts = actionFactsOf("approve", toIntervention(row));
      const approval = await a.store.approvals.insert(
        {
          tenantId: "rem",
          facts,
          display: displayFactsOf(toIntervention(row)),
          hash: actionHash(facts),
          principal: "local",
          client: { name: "quorum", version: "1" },
          backendId: "local",
          channel: "terminal",
          now: NOW,
          ttlMs: 60_000,
          tier: { rule: "quick", required: 1, excludedOperator: null, remindAfterMs: 10_000, escalateAfterMs: 20_000 },
        },
        (r) => ({ tenant_id: "rem", event: "approval_requested", intervention_id: row.id, actor: "t", detail: { approval: r.id } }),
      );
      const at = (ms: number) => new Date(NOW.getTime() + ms);
      const event = (r: { id: string }) => ({ tenant_id: "rem", event: "approval_reminder", intervention_id: row.id, actor: "t", detail: { approval: r.id } });
      expect(await a.store.approvals.claimDueReminders("reminder", at(9_000), event)).toEqual([]);
      const both = await Promise.all([a.store.approvals.claimDueReminders("reminder", at(11_000), event), b.store.approvals.claimDueReminders("reminder", at(11_000), event)]);
      expect(both.flat().map((r) => r.id)).toEqual([approval.id]);
      expect(await a.store.approvals.claimDueReminders("reminder", at(12_000), event)).toEqual([]);
      expect(await b.store.approvals.claimDueReminders("escalation", at(15_000), event)).toEqual([]);
      expect((await b.store.approvals.claimDueReminders("escalation", at(21_000), event)).map((r) => r.escalated_at)).toEqual([at(21_000).toISOString()]);
      expect((await a.store.audit.trail(row.id)).filter((e) => e.event === "approval_reminder")).toHaveLength(2);
      // Past its expiry nothing is reminded (a fresh request whose reminder time falls after it).
      const late = await a.store.approvals.insert(
        { ...{ tenantId: "rem", facts, display: displayFactsOf(toIntervention(row)), hash: actionHash(facts), principal: "other", client: { name: "q", version: "1" }, backendId: "local", channel: "terminal" }, now: NOW, ttlMs: 5_000, tier: { rule: "late", required: 1, excludedOperator: null, remindAfterMs: 6_000, escalateAfterMs: null } },
        (r) => ({ tenant_id: "rem", event: "approval_requested", intervention_id: row.id, actor: "t", detail: { approval: r.id } }),
      );
      expect((await a.store.approvals.claimDueReminders("reminder", at(7_000), event)).map((r) => r.id)).not.toContain(late.id);
    });
  });
}
