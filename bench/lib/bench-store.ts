/**
 * The store every stdio figure is measured on: the demo data for both
 * tenants plus pools of planned (future) and delivered rows, so each timed
 * write is a real transition on a row of its own (lib/targets.ts).
 */
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { openStore } from "../../src/store/index.js";
import { bulkSeed } from "./bulk-seed.js";

export async function prepareBenchStore(dbPath: string): Promise<void> {
  const store = await openStore({ dbPath });
  try {
    await ensureSeeded(store, "live", 42);
    await ensureSeeded(store, "test", 42);
  } finally {
    await store.close();
  }
  for (const [tenantId, suffix] of [["live", "l"], ["test", "t"]] as const) {
    bulkSeed(dbPath, { tenantId, count: 1000, mix: { planned: 1 }, batch: `p${suffix}`, futurePlanned: true });
    bulkSeed(dbPath, { tenantId, count: 300, mix: { delivered: 1 }, batch: `d${suffix}` });
  }
}
