/**
 * Two approved requests for one action, released at once: the one that loses
 * the race must tell the agent the intervention is already where it asked,
 * not that it "changed". Here the winner's release runs between the loser's
 * read and its transition (a real releaser on the same store). When the two
 * transitions overlap inside the database instead (two replicas on
 * PostgreSQL), the loser's transition is refused and release.ts reads the
 * intervention again to say the same; test/replicas covers that timing.
 */
import { afterEach, expect, it } from "vitest";
import { answerApproval } from "../../src/guard/human-answer.js";
import { createReleaser, type GuardedExecutor } from "../../src/guard/release.js";
import { silentLogger } from "../../src/log.js";
import { factsOf } from "../../src/store/index.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

it("tells the loser of a release race that the intervention is already approved", async () => {
  h = await startHarness({ overrides: { startReleaseLoop: false } });
  const { store, backend } = h.runtime;
  const id = seededId(h.runtime, "planned", "AND flagged = 0");
  const { approval } = await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
  const mine = (await store.approvals.get(approval.approval_id))!;
  // The same action asked for by another principal (another token's agent): a second request.
  const { facts, display } = factsOf(mine);
  const theirs = await store.approvals.insert(
    { tenantId: mine.tenant_id, facts, display, hash: mine.action_hash, principal: "token:other", client: { name: "other", version: "1" }, backendId: "local", channel: mine.channel, now: new Date(), ttlMs: 600_000 },
    (row) => ({ event: "approval_requested", actor: "system:guard", tenant_id: row.tenant_id, intervention_id: row.intervention_id, detail: { approval_id: row.id } }),
  );
  for (const row of [mine, theirs]) {
    expect((await answerApproval(store, row.id, { approve: true, via: "cli", answer: "approve", interactive: true })).ok).toBe(true);
  }

  const winner = createReleaser({ store, executor: backend, backendId: "local", logger: silentLogger() });
  let raced = false;
  const racing: GuardedExecutor = {
    spendsApprovals: backend.spendsApprovals,
    approve: (...args) => backend.approve(...args),
    rollback: (...args) => backend.rollback(...args),
    async get(interventionId) {
      const seen = await backend.get(interventionId);
      if (!raced) {
        raced = true;
        expect((await winner.release(theirs.id)).kind).toBe("executed");
      }
      return seen;
    },
  };
  const outcome = await createReleaser({ store, executor: racing, backendId: "local", logger: silentLogger() }).release(mine.id);

  expect(raced).toBe(true);
  expect(outcome).toMatchObject({ kind: "void", reached: "approved", why: expect.stringContaining("already approved") });
  expect(storedStatus(h.runtime, id).status).toBe("approved");
  expect((await store.approvals.get(mine.id))!.status).toBe("void");
});
