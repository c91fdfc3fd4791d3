/**
 * What the releaser (src/guard/release.ts) does with an approved request on the
 * local store in each case other than a plain success: it must never execute a
 * request that is not approved, has expired, or whose intervention is gone or
 * changed; it must say why on the request (what the human and the agent are
 * shown); a refusal of the transition voids the request, while a fault (a busy
 * store, an unreachable API) leaves it approved for the next try. The executor
 * is the real local backend; where a case needs something to happen at an exact
 * moment (another process pausing the intervention, or closing the request,
 * between two steps) a thin wrapper does that through the real store.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError } from "../../src/errors.js";
import { answerApproval } from "../../src/guard/human-answer.js";
import { actorOf, createReleaser, type GuardedExecutor } from "../../src/guard/release.js";
import { silentLogger } from "../../src/log.js";
import { factsOf, type ApprovalRow } from "../../src/store/index.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";
import { auditOf } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(): Promise<Harness> {
  h = await startHarness({ overrides: { startReleaseLoop: false } });
  return h;
}

/** A request the agent made and a human approved in the terminal, not yet released. */
async function approvedRequest(id: string, tool = "approve_intervention", extra: Record<string, unknown> = {}): Promise<ApprovalRow> {
  const { approval } = await h!.ok<{ approval: { approval_id: string } }>(tool, { intervention_id: id, ...extra });
  const answered = await answerApproval(h!.runtime.store, approval.approval_id, { approve: true, via: "cli", answer: "approve", note: "looked fine", interactive: true });
  expect(answered.ok).toBe(true);
  return (await h!.runtime.store.approvals.get(approval.approval_id))!;
}

const releaserWith = (executor: GuardedExecutor, now?: () => Date) =>
  createReleaser({ store: h!.runtime.store, executor, backendId: "local", logger: silentLogger(), ...(now ? { now } : {}) });

/** The real local backend, with `around` run at one step of the release. */
function wrapped(step: { beforeGet?: (id: string) => Promise<void>; approve?: (id: string) => Promise<never | void> }): GuardedExecutor {
  const backend = h!.runtime.backend;
  return {
    spendsApprovals: backend.spendsApprovals,
    async get(id) {
      await step.beforeGet?.(id);
      return backend.get(id);
    },
    async approve(id, options) {
      await step.approve?.(id);
      return backend.approve(id, options);
    },
    rollback: (...args) => backend.rollback(...args),
  };
}

/** The same action asked for by another principal (another token's agent) and approved: a second request. */
async function secondRequestFor(mine: ApprovalRow): Promise<ApprovalRow> {
  const { facts, display } = factsOf(mine);
  const theirs = await h!.runtime.store.approvals.insert(
    { tenantId: mine.tenant_id, facts, display, hash: mine.action_hash, principal: "token:other", client: { name: "other", version: "1" }, backendId: "local", channel: mine.channel, now: new Date(), ttlMs: 600_000 },
    (row) => ({ event: "approval_requested", actor: "system:guard", tenant_id: row.tenant_id, intervention_id: row.intervention_id, detail: { approval_id: row.id } }),
  );
  expect((await answerApproval(h!.runtime.store, theirs.id, { approve: true, via: "cli", answer: "approve", interactive: true })).ok).toBe(true);
  return theirs;
}

const closeAsExpired = (row: ApprovalRow) =>
  h!.runtime.store.approvals.close(row.id, "expired", new Date(), "expired elsewhere", { event: "approval_expired", actor: "system:test", tenant_id: row.tenant_id, intervention_id: row.intervention_id, detail: {} });

describe("the releaser on the local store", () => {
  it("records the human who decided and the client that asked on the transition, and the spend on its own audit row", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const row = await approvedRequest(id);
    expect(await releaserWith(h!.runtime.backend).release(row.id)).toMatchObject({ kind: "executed", status: "approved" });
    const trail = auditOf(h!.runtime, id);
    expect(trail.find((e) => e.event === "approved")!.actor).toBe(`human:cli (approval ${row.id}; requested by test-client 1.0.0)`);
    expect(trail.find((e) => e.event === "approval_executed")).toMatchObject({ actor: "system:guard", detail: { approval_id: row.id, decided_by: "human:cli", note: "looked fine", status: "approved" } });
  });

  it("names an undecided request's releaser as unknown rather than as nobody", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const { approval } = await h!.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
    const pending = (await h!.runtime.store.approvals.get(approval.approval_id))!;
    expect(actorOf(pending)).toBe(`human:unknown (approval ${pending.id}; requested by test-client 1.0.0)`);
  });

  it("leaves a request no human approved yet alone, and executes an approved one only once", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const { approval } = await h!.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
    const releaser = releaserWith(h!.runtime.backend);
    expect(await releaser.release(approval.approval_id)).toMatchObject({ kind: "not_approved", row: { status: "pending" } });
    expect(storedStatus(h!.runtime, id).status).toBe("planned");
    await answerApproval(h!.runtime.store, approval.approval_id, { approve: true, via: "cli", answer: "approve", interactive: true });
    expect((await releaser.release(approval.approval_id)).kind).toBe("executed");
    expect(await releaser.release(approval.approval_id)).toMatchObject({ kind: "not_approved", row: { status: "executed" } });
  });

  it("answers a release of an id no request has with nothing to execute", async () => {
    await harness();
    expect(await releaserWith(h!.runtime.backend).release("apr_nonexistent")).toEqual({ kind: "not_approved", row: undefined });
  });

  it("never executes an approval that expired before it was released, and says so on the request", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const row = await approvedRequest(id);
    const later = () => new Date(Date.parse(row.expires_at) + 1000);
    expect(await releaserWith(h!.runtime.backend, later).release(row.id)).toMatchObject({ kind: "void", why: "it expired before it was executed", row: { status: "expired" } });
    expect(storedStatus(h!.runtime, id).status).toBe("planned");
    expect((await h!.runtime.store.approvals.get(row.id))!.outcome).toBe("expired before it was executed");
    expect(auditOf(h!.runtime, id).find((e) => e.event === "approval_expired")).toMatchObject({ actor: "system:guard", detail: { approval_id: row.id, was: "approved" } });
  });

  it("voids the request when the intervention no longer exists, and keeps it for a retry when it cannot be read", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const row = await approvedRequest(id);
    const unreachable = wrapped({ beforeGet: () => Promise.reject(new Error("upstream unreachable")) });
    await expect(releaserWith(unreachable).release(row.id)).rejects.toThrow("upstream unreachable");
    // The background loop carries on past it, and it stays approved for the next tick.
    expect(await releaserWith(unreachable).releaseAll()).toEqual([]);
    expect((await h!.runtime.store.approvals.get(row.id))!.status).toBe("approved");
    const gone = wrapped({ beforeGet: () => Promise.reject(new NotFoundError(`No intervention with id '${id}'.`)) });
    expect(await releaserWith(gone).release(row.id)).toMatchObject({ kind: "void", why: `${id} no longer exists`, row: { status: "void", outcome: `${id} no longer exists` } });
    expect(storedStatus(h!.runtime, id).status).toBe("planned");
  });

  it("says the intervention is already there when another request took it there first", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const mine = await approvedRequest(id);
    const theirs = await secondRequestFor(mine);
    const releaser = releaserWith(h!.runtime.backend);
    expect((await releaser.release(theirs.id)).kind).toBe("executed");
    expect(await releaser.release(mine.id)).toEqual({
      kind: "void",
      reached: "approved",
      why: `${id} was already approved by another path`,
      row: expect.objectContaining({ status: "void", outcome: `${id} was already approved by another path` }),
    });
  });

  it("says the intervention is already there when another request won the write inside the database", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const mine = await approvedRequest(id);
    const theirs = await secondRequestFor(mine);
    const releaser = releaserWith(h!.runtime.backend);
    // Two replicas' transactions overlapping: theirs commits, mine loses the compare-and-set
    // (the ConflictError casOrConflict throws), and only a fresh read shows where it went.
    const overtaken = wrapped({
      approve: async (target) => {
        expect((await releaser.release(theirs.id)).kind).toBe("executed");
        throw new ConflictError(`${target} changed while this action ran.`);
      },
    });
    expect(await releaserWith(overtaken).release(mine.id)).toMatchObject({ kind: "void", reached: "approved", why: `${id} was already approved by another path`, row: { status: "void" } });
  });

  it("voids the request with the state it found when the intervention changed since the human approved", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const row = await approvedRequest(id);
    await h!.runtime.backend.pause(id);
    const { version } = storedStatus(h!.runtime, id);
    const why = `${id} changed since the human approved it (now status paused, version ${version})`;
    expect(await releaserWith(h!.runtime.backend).release(row.id)).toEqual({ kind: "void", why, row: expect.objectContaining({ status: "void", outcome: why }) });
    expect(storedStatus(h!.runtime, id).status).toBe("paused");
  });

  it("voids the request when the transition is refused because the intervention changed between the read and the write", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const row = await approvedRequest(id);
    const pausedMeanwhile = wrapped({ approve: async (target) => void (await h!.runtime.backend.pause(target)) });
    const outcome = await releaserWith(pausedMeanwhile).release(row.id);
    expect(outcome).toMatchObject({ kind: "void", why: expect.stringContaining(`${id} changed since the human approved it (message, status, version or flag differ)`) });
    expect(outcome.row).toMatchObject({ status: "void" });
    expect(storedStatus(h!.runtime, id).status).toBe("paused");
  });

  it("voids the request on a conflict the store reports, but leaves it approved on any other fault", async () => {
    await harness();
    const id = seededId(h!.runtime, "planned", "AND flagged = 0");
    const row = await approvedRequest(id);
    const busy = wrapped({ approve: () => Promise.reject(new Error("database is locked")) });
    await expect(releaserWith(busy).release(row.id)).rejects.toThrow("database is locked");
    expect((await h!.runtime.store.approvals.get(row.id))!.status).toBe("approved");
    const conflict = wrapped({ approve: () => Promise.reject(new ConflictError(`${id} changed while this action ran.`)) });
    expect(await releaserWith(conflict).release(row.id)).toMatchObject({ kind: "void", why: `${id} changed while this action ran.`, row: { status: "void" } });
    expect(storedStatus(h!.runtime, id).status).toBe("planned");
  });

  it("reports what the request became when another process closed it while the release ran", async () => {
    await harness();
    const first = seededId(h!.runtime, "planned", "AND flagged = 0");
    const row = await approvedRequest(first);
    // Closed elsewhere, then the transition fails: nothing to void, nothing to retry.
    const closedThenBusy = wrapped({
      approve: async () => {
        await closeAsExpired(row);
        throw new Error("database is locked");
      },
    });
    expect(await releaserWith(closedThenBusy).release(row.id)).toMatchObject({ kind: "not_approved", row: { status: "expired" } });

    // Closed elsewhere while the intervention also changed: the releaser's own void finds it closed.
    const second = seededId(h!.runtime, "planned", `AND flagged = 0 AND id <> '${first}'`);
    const other = await approvedRequest(second);
    const closedAndPaused = wrapped({
      beforeGet: async (target) => {
        await h!.runtime.backend.pause(target);
        await closeAsExpired(other);
      },
    });
    expect(await releaserWith(closedAndPaused).release(other.id)).toMatchObject({ kind: "not_approved", row: { status: "expired", outcome: "expired elsewhere" } });
  });

  it("rolls back with the reason the human approved, recorded on the intervention", async () => {
    await harness();
    const id = seededId(h!.runtime, "delivered", "AND channel = 'in_app'");
    const row = await approvedRequest(id, "rollback_intervention", { reason: "sent to the wrong segment" });
    expect(await releaserWith(h!.runtime.backend).release(row.id)).toMatchObject({ kind: "executed", status: "rolled_back" });
    const stored = dbOf(h!.runtime).prepare("SELECT status, rollback_reason FROM interventions WHERE id = ?").get(id);
    expect(stored).toEqual({ status: "rolled_back", rollback_reason: "sent to the wrong segment" });
  });
});
