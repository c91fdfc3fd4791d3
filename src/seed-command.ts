/** `retivo-mcp seed`: fill an empty local store with the deterministic demo data set. */
import type { Config } from "./config.js";
import { ensureSeeded } from "./backend/local/seed.js";
import { openStore } from "./backend/local/store.js";
import { LIVE_TENANT } from "./runtime.js";

export function runSeedCommand(config: Readonly<Config>, io: { stdout: NodeJS.WritableStream }): number {
  const db = openStore(config.dbPath);
  try {
    const seeded = ensureSeeded(db, LIVE_TENANT, config.seed);
    const counts = db
      .prepare("SELECT status, COUNT(*) AS n FROM interventions WHERE tenant_id = ? GROUP BY status ORDER BY status")
      .all(LIVE_TENANT) as { status: string; n: number }[];
    io.stdout.write(
      `${seeded ? "Seeded" : "Already seeded:"} ${config.dbPath}\n` + counts.map((c) => `  ${c.status.padEnd(12)} ${c.n}`).join("\n") + "\n",
    );
    return 0;
  } finally {
    db.close();
  }
}
