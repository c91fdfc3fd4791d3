/**
 * The compare-and-set under every status change, with two store connections
 * on one SQLite file, as two server processes have: a writer that read the
 * row before the other committed must be told it lost, and change nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";
import { compareAndSet } from "../../src/store/ops/compare-and-set.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { inWriteTx } from "../support/sqlite.js";

let h: Harness | undefined;
let other: Store | undefined;
afterEach(async () => {
  await other?.close();
  await h?.close();
  h = other = undefined;
});

/** The harness's store, and a second connection to the same file. */
async function twoWriters(): Promise<{ first: Store; second: Store; runtime: Harness["runtime"] }> {
  h = await startHarness();
  other = await openStore({ dbPath: h.runtime.config.dbPath });
  return { first: h.runtime.store, second: other, runtime: h.runtime };
}

describe("compare-and-set across two connections", () => {
  it("reports failure, and changes nothing, when the other connection moved the status first", async () => {
    const { first, second, runtime } = await twoWriters();
    const id = seededId(runtime, "planned", "AND flagged = 0");
    const read = (await first.interventions.get("live", id))!;
    await second.interventions.transition({ tenantId: "live", id, action: "pause", actor: "operator:other-process", now: new Date() });
    const won = await inWriteTx(first, (tx) => compareAndSet(tx, read, { status: "approved", approved_at: new Date().toISOString() }, new Date().toISOString()));
    expect(won).toBeUndefined();
    expect(storedStatus(runtime, id)).toEqual({ status: "paused", version: read.version + 1, flagged: 0 });
  });

  it("reports failure when the other connection changed only the version (a flag on a planned one)", async () => {
    const { first, second, runtime } = await twoWriters();
    const id = seededId(runtime, "planned", "AND flagged = 0");
    const read = (await first.interventions.get("live", id))!;
    await second.interventions.flag("live", id, "needs a second look", "operator:other-process", new Date());
    expect(await inWriteTx(first, (tx) => compareAndSet(tx, read, { status: "approved" }, new Date().toISOString()))).toBeUndefined();
    expect(storedStatus(runtime, id)).toEqual({ status: "planned", version: read.version + 1, flagged: 1 });
  });

  it("succeeds once for a fresh read, bumping the version, and fails for the same read again", async () => {
    const { first, runtime } = await twoWriters();
    const id = seededId(runtime, "planned", "AND flagged = 0");
    const read = (await first.interventions.get("live", id))!;
    const at = new Date().toISOString();
    const written = await inWriteTx(first, (tx) => compareAndSet(tx, read, { status: "paused" }, at));
    // The row as written comes back from the UPDATE itself, equal to a fresh read.
    expect(written).toMatchObject({ status: "paused", version: read.version + 1, updated_at: at });
    expect(await first.interventions.get("live", id)).toEqual(written);
    expect(await inWriteTx(first, (tx) => compareAndSet(tx, read, { status: "rejected" }, at))).toBeUndefined();
    expect(storedStatus(runtime, id).status).toBe("paused");
  });
});
