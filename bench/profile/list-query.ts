/**
 * The store part of a list page: the port's list as shipped (through the
 * engine's queue and statement cache) against the bare statement, prepared
 * each call and once, on the demo store.
 *
 *   node --import tsx bench/profile/list-query.ts
 */
import { join } from "node:path";
import { openStore, sqliteDbOf } from "../../src/store/index.js";
import { seedDemo, tempDir } from "../lib/fixture.js";
import { round, summarize, timeCalls } from "../lib/stats.js";

const fixture = tempDir("query");
const dbPath = join(fixture.dir, "retivo.db");
seedDemo(fixture.dir, dbPath);
const store = await openStore({ dbPath });
const db = sqliteDbOf(store)!;
try {
  const sql = "SELECT * FROM interventions WHERE tenant_id = @tenant_id ORDER BY seq DESC LIMIT @limit";
  const cached = db.prepare(sql);
  const cases: [string, () => Promise<unknown>][] = [
    ["store list (as shipped)", () => store.interventions.list("live", { limit: 20 })],
    ["prepare each call + all", async () => db.prepare(sql).all({ tenant_id: "live", limit: 21 })],
    ["prepared once + all", async () => cached.all({ tenant_id: "live", limit: 21 })],
  ];
  for (let round_ = 0; round_ < 2; round_++) {
    for (const [label, fn] of cases) {
      const s = summarize(await timeCalls(5000, 500, fn));
      process.stdout.write(`${label.padEnd(26)} p50 ${round(s.p50 * 1000, 1)} µs\n`);
    }
  }
} finally {
  await store.close();
  fixture.dispose();
}
