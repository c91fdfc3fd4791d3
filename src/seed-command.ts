/** `retivo-mcp seed`: fill an empty local store with the deterministic demo data set. */
import type { Config } from "./config.js";
import { ensureSeeded } from "./backend/local/seed.js";
import { openStore } from "./store/index.js";
import { LIVE_TENANT } from "./runtime.js";

export async function runSeedCommand(config: Readonly<Config>, io: { stdout: NodeJS.WritableStream }): Promise<number> {
  const store = await openStore(config);
  try {
    const seeded = await ensureSeeded(store, LIVE_TENANT, config.seed);
    const counts = await store.interventions.countByStatus(LIVE_TENANT);
    io.stdout.write(`${seeded ? "Seeded" : "Already seeded:"} ${store.location}\n` + counts.map((c) => `  ${c.status.padEnd(12)} ${c.n}`).join("\n") + "\n");
    return 0;
  } finally {
    await store.close();
  }
}
