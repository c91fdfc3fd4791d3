/**
 * The SQLite engine reuses a list page or an intervention while the file is
 * unchanged (store/sqlite/read-cache.ts). These tests hold it to "never
 * stale": whatever changes the file (this store's own writes, a write on the
 * same connection beneath the port, another connection's commit as another
 * process makes, another connection's schema change) is seen by the very
 * next read, and a reused result cannot be changed by one of the callers
 * that share it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";
import { recordDelivery } from "../../src/store/ops/deliveries.js";
import { seededId, startHarness, type Harness } from "../support/harness.js";
import { dbOf, inWriteTx } from "../support/sqlite.js";

let h: Harness | undefined;
let other: Store | undefined;
afterEach(async () => {
  await other?.close();
  await h?.close();
  h = other = undefined;
});

const PAGE = { limit: 20 } as const;

async function storeAndPlanned(): Promise<{ store: Store; id: string; harness: Harness }> {
  h = await startHarness();
  return { store: h.runtime.store, id: seededId(h.runtime, "planned", "AND flagged = 0"), harness: h };
}

const statusIn = async (store: Store, id: string) => (await store.interventions.listCompact("live", PAGE)).interventions.find((row) => row.id === id)?.status;

describe("reads reused while the SQLite file is unchanged", () => {
  it("answers a repeated read with the same result, and a different query with its own", async () => {
    const { store } = await storeAndPlanned();
    const first = await store.interventions.listCompact("live", PAGE);
    expect(await store.interventions.listCompact("live", PAGE)).toBe(first);
    const planned = await store.interventions.listCompact("live", { ...PAGE, status: "planned" });
    expect(planned).not.toBe(first);
    expect(planned.interventions.every((row) => row.status === "planned")).toBe(true);
    expect((await store.interventions.listCompact("live", { limit: 2 })).interventions).toHaveLength(2);
  });

  it("sees this store's own write at once", async () => {
    const { store, id } = await storeAndPlanned();
    expect(await statusIn(store, id)).toBe("planned");
    expect((await store.interventions.detail("live", id))?.status).toBe("planned");
    await store.interventions.transition({ tenantId: "live", id, action: "pause", actor: "operator:test", now: new Date() });
    expect(await statusIn(store, id)).toBe("paused");
    expect((await store.interventions.detail("live", id))?.status).toBe("paused");
  });

  it("sees a write made on the same connection beneath the port", async () => {
    const { store, id, harness } = await storeAndPlanned();
    expect((await store.interventions.detail("live", id))?.flagged).toBe(false);
    dbOf(harness.runtime).prepare("UPDATE interventions SET flagged = 1, flag_reason = 'set beneath the port' WHERE id = ?").run(id);
    expect(await store.interventions.detail("live", id)).toMatchObject({ flagged: true, flag_reason: "set beneath the port" });
  });

  it("sees another connection's commit, as another process on the file makes", async () => {
    const { store, id, harness } = await storeAndPlanned();
    other = await openStore({ dbPath: harness.runtime.config.dbPath });
    expect(await statusIn(store, id)).toBe("planned");
    await other.interventions.transition({ tenantId: "live", id, action: "reject", reason: { reject_reason: "not wanted" }, actor: "operator:other-process", now: new Date() });
    expect(await statusIn(store, id)).toBe("rejected");
    expect((await store.interventions.detail("live", id))?.status).toBe("rejected");
  });

  it("sees a new delivery record in the intervention's delivery outcome", async () => {
    const { store, harness } = await storeAndPlanned();
    const id = seededId(harness.runtime, "sent");
    const before = await store.interventions.detail("live", id);
    await inWriteTx(store, (tx) => recordDelivery(tx, { intervention_id: id, channel: before!.channel, kind: "delivery", attempt: 9, outcome: "error", detail: "test" }, new Date()));
    expect((await store.interventions.detail("live", id))?.delivery_outcome).toBe("failed");
  });

  it("sees a schema change made by another connection (which no row count shows)", async () => {
    const { store, harness } = await storeAndPlanned();
    other = await openStore({ dbPath: harness.runtime.config.dbPath });
    await store.interventions.listCompact("live", PAGE);
    dbOf(other).exec("ALTER TABLE interventions RENAME COLUMN preview TO preview_gone");
    await expect(store.interventions.listCompact("live", PAGE)).rejects.toThrow(/preview/);
  });

  it("hands out a reused result that no caller can change", async () => {
    const { store, id } = await storeAndPlanned();
    const page = await store.interventions.listCompact("live", PAGE);
    const detail = (await store.interventions.detail("live", id))!;
    expect(() => page.interventions.pop()).toThrow(TypeError);
    expect(() => Object.assign(page.interventions[0]!, { status: "approved" })).toThrow(TypeError);
    expect(() => Object.assign(detail, { status: "approved" })).toThrow(TypeError);
    const { checks } = detail.quality_checks as { checks: unknown[] };
    expect(() => checks.push(checks[0])).toThrow(TypeError);
    expect((await store.interventions.detail("live", id))?.status).toBe("planned");
  });

  it("stays bounded: the least recently used result goes first", async () => {
    const { store } = await storeAndPlanned();
    const kept = await store.interventions.listCompact("live", { limit: 1 });
    const dropped = await store.interventions.listCompact("live", { limit: 2 });
    for (let limit = 3; limit <= 65; limit++) {
      await store.interventions.listCompact("live", { limit });
      // Used again all along, so never the oldest.
      expect(await store.interventions.listCompact("live", { limit: 1 })).toBe(kept);
    }
    expect(await store.interventions.listCompact("live", { limit: 1 })).toBe(kept);
    expect(await store.interventions.listCompact("live", { limit: 2 })).not.toBe(dropped);
  });
});
