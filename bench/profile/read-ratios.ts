/**
 * The two read targets of bench/targets.ts, alone and quickly: our default
 * list page against the bare server replaying its very bytes, and get against
 * the bare no-op (and, as a diagnostic, against the bare server replaying
 * get's own bytes), over stdio, interleaved in many short rounds so that a noisy
 * neighbour on a shared machine hits both sides alike. The median of the
 * per-round ratios is printed beside the ratio of the median p50s.
 *
 *   npm run build && node --import tsx bench/profile/read-ratios.ts [rounds] [calls]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareBenchStore } from "../lib/bench-store.js";
import { bareReplaying, ourStdio, tempDir } from "../lib/fixture.js";
import { median, percentile, round, timeCalls } from "../lib/stats.js";
import { spawnStdio } from "../lib/stdio-client.js";
import { targetsFor } from "../lib/targets.js";

const [rounds = 9, calls = 200] = process.argv.slice(2).map(Number);
const fixture = tempDir("ratios");
const dbPath = join(fixture.dir, "retivo.db");
try {
  await prepareBenchStore(dbPath);
  const getId = targetsFor(dbPath, "live").take("planned", 1)[0]!;
  const ours = await spawnStdio(ourStdio(fixture.dir, dbPath));
  const replayFile = join(fixture.dir, "list-page.json");
  writeFileSync(replayFile, JSON.stringify(await ours.call("list_interventions")));
  const getFile = join(fixture.dir, "get-result.json");
  writeFileSync(getFile, JSON.stringify(await ours.call("get_intervention", { intervention_id: getId })));
  const bare = await spawnStdio(bareReplaying(replayFile, getFile));
  try {
    const cases = {
      noop: () => bare.call("noop"),
      replay: () => bare.call("replay"),
      replayGet: () => bare.call("replay_get"),
      list: () => ours.call("list_interventions"),
      get: () => ours.call("get_intervention", { intervention_id: getId }),
    };
    const p50s = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, call] of Object.entries(cases)) {
        p50s.get(name)!.push(percentile(await timeCalls(calls, r === 0 ? 50 : 10, call), 50));
      }
    }
    const at = (name: string) => p50s.get(name)!;
    const perRound = (a: string, b: string) => median(at(a).map((v, i) => v / at(b)[i]!));
    for (const [name, values] of p50s) process.stdout.write(`${name.padEnd(7)} p50 ${round(median(values), 3)} ms\n`);
    process.stdout.write(`list / replay: ${round(median(at("list")) / median(at("replay")))}× (median of rounds ${round(perRound("list", "replay"))}×), target ≤ 1.5×\n`);
    process.stdout.write(`get / replayGet: ${round(median(at("get")) / median(at("replayGet")))}× (median of rounds ${round(perRound("get", "replayGet"))}×), a diagnostic: get's own work\n`);
    process.stdout.write(`get / noop:    ${round(median(at("get")) / median(at("noop")))}× (median of rounds ${round(perRound("get", "noop"))}×), target ≤ 1.3×\n`);
  } finally {
    await Promise.all([ours.close(), bare.close()]);
  }
} finally {
  fixture.dispose();
}
