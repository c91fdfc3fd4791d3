/**
 * The store's own changes of an intervention and of an approval request
 * (src/store/ops/changes.ts, approvals.ts) on a real SQLite file with the demo
 * tenant: what a transition stamps and audits, what a rollback retracts per
 * channel (the webhook's signed retraction is test/local/webhook-delivery's), a
 * review flag and a consent flag (which pause an approved message so it cannot
 * leave without a fresh approval, and never overwrite another reason), and the
 * request's own bookkeeping (its tier's times, closing once, failed attempts,
 * what counts as open). The guard's tests reach these through the tools; here
 * each outcome is read back from the store itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDataSet } from "../../src/backend/local/seed.js";
import { actionFactsOf, actionHash, displayFactsOf } from "../../src/domain/action-hash.js";
import { WouldMoveError } from "../../src/domain/status-machine.js";
import { ConflictError, NotFoundError } from "../../src/errors.js";
import { isExpired, isOpen, newInterventionId, toIntervention, type ApprovalRow, type InterventionRow, type Store } from "../../src/store/index.js";
import type { ApprovalTier } from "../../src/store/ops/approvals.js";
import { ENGINE_KINDS, type StoreUnderTest } from "./support/engines.js";

const NOW = new Date("2026-03-02T10:00:00.000Z");
const TENANT = "changes";
let target: StoreUnderTest;
let store: Store;

beforeAll(async () => {
  target = await ENGINE_KINDS[0]!.start();
  store = (await target.open()).store;
  const { data } = demoDataSet({ tenantId: TENANT, seed: 7, now: NOW });
  expect(await store.seed.seedTenant(data, NOW)).toBe(true);
}, 60_000);
afterAll(async () => {
  await target?.close();
});

const takenIds = new Set<string>();
const takenUsers = new Set<string>();
/**
 * A seeded intervention no other case used, in `status` (and matching `where`);
 * `ownUser` for the consent cases, which flag everything of one user.
 */
async function fresh(status: string, where: (row: InterventionRow) => boolean = () => true, ownUser = false): Promise<InterventionRow> {
  const page = await store.interventions.list(TENANT, { limit: 100, status: status as never });
  for (const { id } of page.interventions) {
    const row = (await store.interventions.get(TENANT, id))!;
    if (!takenIds.has(row.id) && !(ownUser && takenUsers.has(row.user_id)) && where(row)) {
      takenIds.add(row.id);
      takenUsers.add(row.user_id);
      return row;
    }
  }
  throw new Error(`no unused ${status} intervention`);
}

const now = () => new Date();
const trail = async (id: string) =>
  ((await store.audit.trail(id)) as Array<{ event: string; actor: string; detail: string }>).map((e) => ({ ...e, detail: JSON.parse(e.detail) as Record<string, unknown> }));
const get = async (id: string) => (await store.interventions.get(TENANT, id))!;
const move = (row: InterventionRow, action: "approve" | "pause" | "rollback", extra: Record<string, unknown> = {}) =>
  store.interventions.transition({ tenantId: TENANT, id: row.id, action, actor: "test:store", now: now(), ...extra });

async function request(row: InterventionRow, tier?: ApprovalTier): Promise<ApprovalRow> {
  const intervention = toIntervention(row);
  const facts = actionFactsOf("approve", intervention);
  return store.approvals.insert(
    { tenantId: TENANT, facts, display: displayFactsOf(intervention), hash: actionHash(facts), principal: "local", client: { name: "t", version: "1" }, backendId: "local", channel: "cli", now: NOW, ttlMs: 600_000, ...(tier ? { tier } : {}) },
    (r) => ({ tenant_id: TENANT, event: "approval_requested", intervention_id: row.id, actor: "test:store", detail: { approval_id: r.id } }),
  );
}

describe("transitions", () => {
  it("stamps and audits a move with the version it makes, and changes nothing when asked only to check", async () => {
    const row = await fresh("planned", (r) => r.flagged === 0);
    await expect(move(row, "approve", { noOpOnly: true })).rejects.toBeInstanceOf(WouldMoveError);
    expect((await get(row.id)).status).toBe("planned");
    expect(await move(row, "approve", { auditDetail: { why: "test" } })).toMatchObject({ status: "approved", moved: true });
    const after = await get(row.id);
    expect(after).toMatchObject({ status: "approved", version: row.version + 1 });
    expect(after.approved_at).not.toBeNull();
    expect((await trail(row.id)).at(-1)).toMatchObject({ event: "approved", actor: "test:store", detail: { from: "planned", to: "approved", version: row.version + 1, why: "test" } });
    // Already there: a no-op, also when only checking.
    expect(await move(after, "approve", { noOpOnly: true })).toEqual({ status: "approved", moved: false });
  });

  it("refuses an unknown intervention with the way to find a real id, for a tool call and for the REST API", async () => {
    const refused = store.interventions.transition({ tenantId: TENANT, id: "int_missing", action: "pause", actor: "test:store", now: now() });
    await expect(refused).rejects.toBeInstanceOf(NotFoundError);
    await expect(refused).rejects.toMatchObject({
      message: "No intervention with id 'int_missing'.",
      hint: "Use an id returned by list_interventions.",
      restHint: "Use an id returned by GET /api/interventions.",
    });
  });

  it("refuses to spend an approval on an action that needs none", async () => {
    const row = await fresh("planned", (r) => r.flagged === 0);
    const approval = { id: "apr_x", actionHash: "0".repeat(64), reason: null, executed: { tenant_id: TENANT, event: "approval_executed", actor: "test:store" } };
    await expect(move(row, "pause", { approval })).rejects.toThrow("pause spends no approval");
    expect((await get(row.id)).status).toBe("planned");
  });

  for (const [channel, outcome, detail] of [
    ["in_app", "withdrawn", /^removed from the user's in-app inbox$/],
    ["email", "recorded", /^email cannot be unsent; the retraction is recorded$/],
  ] as const) {
    it(`rolls back a delivered ${channel} message, stamped and with the retraction its channel allows`, async () => {
      const row = await fresh("delivered", (r) => r.channel === channel);
      expect(await move(row, "rollback", { reason: { rollback_reason: "wrong segment" } })).toMatchObject({ status: "rolled_back", moved: true });
      expect(await get(row.id)).toMatchObject({ status: "rolled_back", rollback_reason: "wrong segment", rolled_back_at: expect.any(String) });
      const retraction = await store.deliveries.latest(row.id, "retraction");
      expect(retraction).toMatchObject({ channel, kind: "retraction", attempt: 1, outcome, detail: expect.stringMatching(detail) });
    });
  }
});

describe("creating", () => {
  it("audits a new intervention as created by its actor, and names the key a different request reused", async () => {
    const { data } = demoDataSet({ tenantId: TENANT, seed: 7, now: NOW });
    const template = data.interventions.find((i) => i.row.status === "planned")!.row;
    const id = newInterventionId();
    const record = {
      row: { ...template, id, created_at: NOW.toISOString() },
      response: { id, status: "planned" as const, channel: template.channel, planned_at: template.planned_at },
      actor: "rest:test",
      auditDetail: { via: "test" },
      idempotency: { key: "key-created", requestHash: "h1" },
      now: now(),
    };
    expect(await store.interventions.create(record)).toMatchObject({ id });
    expect(await trail(id)).toEqual([expect.objectContaining({ event: "created", actor: "rest:test", detail: { via: "test" } })]);
    const reused = store.interventions.replayOf(TENANT, "key-created", "h2", now());
    await expect(reused).rejects.toBeInstanceOf(ConflictError);
    await expect(store.interventions.replayOf(TENANT, "key-created", "h2", now())).rejects.toMatchObject({
      message: expect.stringMatching(/^Idempotency-Key 'key-created' was already used in the last 24 hours for a different request/),
      hint: "Send a new Idempotency-Key for a new request; reuse a key only to retry the very same request.",
    });
  });
});

describe("a review flag", () => {
  it("pauses an approved message, is audited with where it went, and is not repeated for the same reason", async () => {
    const row = await fresh("planned", (r) => r.flagged === 0);
    await move(row, "approve");
    await store.interventions.flag(TENANT, row.id, "tone is off", "agent:test", now());
    expect(await get(row.id)).toMatchObject({ status: "paused", flagged: 1, review_flag_reason: "tone is off" });
    expect((await trail(row.id)).at(-1)).toMatchObject({ event: "flagged", actor: "agent:test", detail: { reason: "tone is off", from: "approved", to: "paused" } });
    const rows = (await trail(row.id)).length;
    await store.interventions.flag(TENANT, row.id, "tone is off", "agent:test", now());
    expect(await trail(row.id)).toHaveLength(rows);
    // Another reason on a flagged message is a change of its own; a planned one keeps its status.
    await store.interventions.flag(TENANT, row.id, "price is wrong", "agent:test", now());
    expect((await trail(row.id)).at(-1)).toMatchObject({ event: "flagged", detail: { reason: "price is wrong", from: "paused", to: "paused" } });
  });
});

describe("consent", () => {
  it("flags every unsent message of a user who opts out, beside any other reason, pausing an approved one, once", async () => {
    const planned = await fresh("planned", (r) => r.flagged === 0, true);
    const page = await store.interventions.list(TENANT, { limit: 100, user_id: planned.user_id } as never);
    const unsent = page.interventions.filter((i) => ["planned", "paused", "approved"].includes(i.status)).map((i) => i.id);
    // One of them approved first, one flagged for review (no engine reason): both must still get the consent flag.
    await move(planned, "approve");
    const second = unsent.find((id) => id !== planned.id);
    if (second) await store.interventions.flag(TENANT, second, "review this", "agent:test", now());

    const flagged = await store.catalog.setCustomerConsent(TENANT, planned.user_id, { opted_out: true }, now());
    expect([...flagged].sort()).toEqual([...unsent].sort());
    const approved = await get(planned.id);
    expect(approved).toMatchObject({ status: "paused", flagged: 1 });
    const reason = approved.flag_reason!;
    expect(reason).toMatch(/opt/i);
    expect((await trail(planned.id)).at(-1)).toMatchObject({ event: "flagged", detail: { reason, from: "approved", to: "paused" } });
    // Asked again, nothing is new.
    expect(await store.catalog.setCustomerConsent(TENANT, planned.user_id, { opted_out: true }, now())).toEqual([]);
  });

  it("puts the consent reason before a reason the message already carries", async () => {
    const row = await fresh("planned", (r) => r.flagged === 1 && !!r.flag_reason, true);
    await store.catalog.setCustomerConsent(TENANT, row.user_id, { paused: true }, now());
    const after = await get(row.id);
    expect(after.flag_reason).toMatch(new RegExp(`; ${row.flag_reason!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    expect(after.flag_reason!.length).toBeGreaterThan(row.flag_reason!.length + 2);
    expect((await trail(row.id)).at(-1)).toMatchObject({ event: "flagged", detail: { from: "planned", to: "planned" } });
  });

  it("flags a message held for review for consent too, with the consent reason alone", async () => {
    const row = await fresh("planned", (r) => r.flagged === 0, true);
    await store.interventions.flag(TENANT, row.id, "review this", "agent:test", now());
    expect(await get(row.id)).toMatchObject({ flagged: 1, flag_reason: null, review_flag_reason: "review this" });
    expect(await store.catalog.setCustomerConsent(TENANT, row.user_id, { opted_out: true }, now())).toContain(row.id);
    const after = await get(row.id);
    expect(after.flag_reason).toMatch(/opt/i);
    expect(after.flag_reason).not.toContain(";");
    expect(after.review_flag_reason).toBe("review this");
  });

  it("keeps the gate not named, and flags nothing once both gates are off", async () => {
    const row = await fresh("planned", (r) => r.flagged === 0, true);
    expect(await store.catalog.setCustomerConsent(TENANT, row.user_id, { paused: true }, now())).toContain(row.id);
    await store.catalog.setCustomerConsent(TENANT, row.user_id, { opted_out: false }, now());
    expect(await store.catalog.customer(TENANT, row.user_id)).toMatchObject({ paused: expect.anything() });
    expect(Boolean((await store.catalog.customer(TENANT, row.user_id))!.paused)).toBe(true);

    const other = await fresh("planned", (r) => r.flagged === 0, true);
    expect(await store.catalog.setCustomerConsent(TENANT, other.user_id, { opted_out: false, paused: false }, now())).toEqual([]);
    expect(await get(other.id)).toMatchObject({ flagged: 0 });
  });

  it("refuses an unknown customer", async () => {
    const refused = store.catalog.setCustomerConsent(TENANT, "no_such_user", { opted_out: true }, now());
    await expect(refused).rejects.toBeInstanceOf(NotFoundError);
    // The message and the hint are all an agent has to find the right user.
    await expect(refused).rejects.toMatchObject({ message: "No customer with user_id 'no_such_user'.", hint: "Use a user_id from the retivo://customers resource." });
  });

  it("refuses to approve a paused or already approved message of a user who opted out, flagging it first", async () => {
    const row = await fresh("planned", (r) => r.flagged === 0, true);
    await move(row, "pause");
    await store.catalog.setCustomerConsent(TENANT, row.user_id, { opted_out: true }, now());
    await expect(store.interventions.assertApprovable(TENANT, row.id, now())).rejects.toThrow();
    // Approved without the consent check, asking again is still refused.
    await move(await get(row.id), "approve");
    await expect(store.interventions.assertApprovable(TENANT, row.id, now())).rejects.toThrow();
  });
});

describe("approval requests", () => {
  it("refuses a tier that needs no human, or part of one", async () => {
    const row = await fresh("planned");
    const tier = { rule: null, excludedOperator: null, remindAfterMs: null, escalateAfterMs: null };
    await expect(request(row, { ...tier, required: 0 })).rejects.toThrow("an approval needs at least one human, not 0");
    await expect(request(row, { ...tier, required: 1.5 })).rejects.toThrow("an approval needs at least one human, not 1.5");
  });

  it("sets a reminder and an escalation only where the tier has them", async () => {
    const row = await fresh("planned");
    expect(await request(row)).toMatchObject({ remind_at: null, escalate_at: null, required_approvals: 1 });
    const timed = await request(row, { rule: "big", required: 2, excludedOperator: null, remindAfterMs: 60_000, escalateAfterMs: null });
    expect(timed).toMatchObject({ remind_at: new Date(NOW.getTime() + 60_000).toISOString(), escalate_at: null, required_approvals: 2 });
  });

  it("is expired from the very instant it expires, closes once, and counts failed attempts", async () => {
    const row = await fresh("planned");
    const approval = await request(row);
    expect(isExpired(approval, new Date(Date.parse(approval.expires_at) - 1))).toBe(false);
    expect(isExpired(approval, new Date(approval.expires_at))).toBe(true);
    expect(await store.approvals.countFailedAttempt(approval.id)).toBe(1);
    expect(await store.approvals.countFailedAttempt(approval.id)).toBe(2);
    expect(await store.approvals.countFailedAttempt("apr_missing")).toBe(0);
    const event = { tenant_id: TENANT, event: "approval_voided", actor: "test:store", intervention_id: row.id };
    expect((await store.approvals.listOpen()).map((r) => r.id)).toContain(approval.id);
    expect(await store.approvals.close(approval.id, "void", now(), "changed", event)).toBe(true);
    expect(await store.approvals.close(approval.id, "expired", now(), "late", event)).toBe(false);
    expect(await store.approvals.get(approval.id)).toMatchObject({ status: "void", outcome: "changed" });
    expect((await store.approvals.listOpen()).map((r) => r.id)).not.toContain(approval.id);
  });

  it("finds how an intervention got where it is: the newest executed request for that action", async () => {
    const row = await fresh("planned");
    const approval = await request(row);
    const decision = { approvalId: approval.id, operator: "human:cli", approved: true, answer: "accept", channel: "cli", vouchedBy: "terminal", note: null, now: NOW };
    expect((await store.approvals.recordDecision(decision, () => ({ tenant_id: TENANT, event: "approval_decided", actor: "human:cli" }))).kind).toBe("approved");
    expect(await store.approvals.lastExecuted(row.id, "approve")).toBeUndefined();
    const executed = { tenant_id: TENANT, event: "approval_executed", intervention_id: row.id, actor: "test:store" };
    await move(row, "approve", { now: NOW, approval: { id: approval.id, actionHash: approval.action_hash, reason: null, executed } });
    expect(await store.approvals.lastExecuted(row.id, "approve")).toMatchObject({ id: approval.id, status: "executed" });
    expect(await store.approvals.lastExecuted(row.id, "rollback")).toBeUndefined();
  });

  it("counts only a pending or approved request as open", () => {
    const statuses = ["pending", "approved", "executed", "denied", "expired", "void", "failed"] as const;
    expect(statuses.filter((status) => isOpen({ status } as ApprovalRow))).toEqual(["pending", "approved"]);
  });
});
