/**
 * Why list_interventions over Streamable HTTP trails the bare no-op: with 8
 * sessions, the same server answering list at page sizes 20 and 1, and
 * get_intervention, beside the bare no-op, in one run. A gap that shrinks with
 * the page is payload cost; one that stays is per-request cost of our stack.
 *
 *   npm run build && node --import tsx bench/profile/http-payload.ts
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { measureHttpLoad, type HttpTarget } from "../http-load.js";
import { BARE, CLI, ourEnv, seedDemo, startListening, tempDir } from "../lib/fixture.js";

const fixture = tempDir("http-profile");
const dbPath = join(fixture.dir, "retivo.db");
seedDemo(fixture.dir, dbPath);
const id = new Database(dbPath, { readonly: true }).prepare("SELECT id FROM interventions LIMIT 1").pluck().get() as string;
const ours = await startListening((port) => [CLI, "serve", "--http", "--port", String(port)], ourEnv(fixture.dir, dbPath));
const bare = await startListening((port) => [BARE, "--http", "--port", String(port)], {});
try {
  const target = (label: string, tool: string, args: Record<string, unknown>, server = ours): HttpTarget => ({
    label,
    port: server.port,
    pid: server.child.pid!,
    tool,
    args,
  });
  const { points } = await measureHttpLoad(
    [
      target("bare no-op", "noop", {}, bare),
      target("list limit=20", "list_interventions", {}),
      target("list limit=1", "list_interventions", { limit: 1 }),
      target("get_intervention", "get_intervention", { intervention_id: id }),
    ],
    2,
  );
  for (const p of points) process.stdout.write(`${p.server.padEnd(18)} ${String(p.sessions).padStart(3)} sessions  ${p.callsPerSec} calls/s  p50 ${p.p50} ms  p99 ${p.p99} ms\n`);
} finally {
  await Promise.all([ours.stop(), bare.stop()]);
  fixture.dispose();
}
