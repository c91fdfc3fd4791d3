/**
 * Why list_interventions costs more than the no-op over stdio: the same call
 * at page sizes 1, 5, 20 and 100 beside get_intervention and the bare no-op,
 * in one run. If the cost tracks the page size, it is payload work (JSON and
 * the SDK's schema validation on both ends), not the store.
 *
 *   npm run build && node --import tsx bench/profile/list-payload.ts
 */
import { join } from "node:path";
import { bareStdio, ourStdio, seedDemo, tempDir } from "../lib/fixture.js";
import { round, summarize, timeCalls } from "../lib/stats.js";
import { spawnStdio } from "../lib/stdio-client.js";

const fixture = tempDir("profile");
const dbPath = join(fixture.dir, "retivo.db");
seedDemo(fixture.dir, dbPath);
const ours = await spawnStdio(ourStdio(fixture.dir, dbPath));
const bare = await spawnStdio(bareStdio);
try {
  const id = ((await ours.call("list_interventions", { limit: 1 })).structuredContent as { interventions: { id: string }[] }).interventions[0]!.id;
  const cases: [string, () => Promise<unknown>][] = [
    ["bare no-op", () => bare.call("noop")],
    ["get_intervention", () => ours.call("get_intervention", { intervention_id: id })],
    ...[1, 5, 20, 50].map((limit): [string, () => Promise<unknown>] => [`list limit=${limit}`, () => ours.call("list_interventions", { limit })]),
  ];
  for (const [label, fn] of cases) {
    const bytes = JSON.stringify(await fn()).length;
    const s = summarize(await timeCalls(500, 50, fn));
    process.stdout.write(`${label.padEnd(20)} p50 ${round(s.p50, 3)} ms  p99 ${round(s.p99, 3)} ms  ${bytes} bytes\n`);
  }
} finally {
  await Promise.all([ours.close(), bare.close()]);
  fixture.dispose();
}
