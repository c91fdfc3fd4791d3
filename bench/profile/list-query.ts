/**
 * The store part of a list page: listRows as shipped (prepares its SQL on
 * every call) against the same statement prepared once, on the demo store.
 *
 *   node --import tsx bench/profile/list-query.ts
 */
import { join } from "node:path";
import { listRows } from "../../src/backend/local/interventions-repo.js";
import { openStore } from "../../src/backend/local/store.js";
import { seedDemo, tempDir } from "../lib/fixture.js";
import { round, summarize, timeCalls } from "../lib/stats.js";

const fixture = tempDir("query");
const dbPath = join(fixture.dir, "retivo.db");
seedDemo(fixture.dir, dbPath);
const db = openStore(dbPath);
try {
  const sql = "SELECT * FROM interventions WHERE tenant_id = @tenant_id ORDER BY seq DESC LIMIT @limit";
  const cached = db.prepare(sql);
  const cases: [string, () => Promise<unknown>][] = [
    ["listRows (as shipped)", async () => listRows(db, "live", { limit: 20 })],
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
  db.close();
  fixture.dispose();
}
