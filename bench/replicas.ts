/**
 * `npm run bench -- replicas`: several replicas on one PostgreSQL behind nginx,
 * side by side with one replica and with one SQLite-backed process (each
 * behind the same nginx configuration, so only the store and the replica
 * count differ): throughput and p50/p99 of list_interventions at 8 and 64
 * sessions; the machine-independent cost of each tool call (database round
 * trips, counted by a proxy in front of PostgreSQL, and rows touched, from
 * pg_stat_database, idle background subtracted); and what a replica's death
 * costs (seconds until its webhook delivery is taken over, and until its
 * client works again on another replica). Throughput: the median of three runs after two warm-up runs per cluster; the machine is
 * shared, so the report carries its load average.
 *
 * Needs a PostgreSQL server (RETIVO_TEST_DATABASE_URL: a database of its own
 * is made and dropped) and nginx. Loopback only; every child is stopped.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { nginxBinary, startNginx, type RunningNginx } from "../test/replicas/support/nginx.js";
import { startReplica, type Replica } from "../test/replicas/support/replica.js";
import { openSession, sessionOn, type Session } from "../test/replicas/support/session.js";
import { queryOnce } from "../test/replicas/support/sql.js";
import { startWebhookReceiver } from "../test/support/webhook-receiver.js";
import { measureHttpLoad, type HttpPoint } from "./http-load.js";
import { CLI, ourEnv, ROOT, seedDemo, tempDir } from "./lib/fixture.js";
import { startCountingProxy } from "./lib/pg-counting-proxy.js";
import { freePort } from "./lib/ports.js";
import { childrenOf } from "./lib/proc.js";
import { round } from "./lib/stats.js";
import { childEnv } from "./lib/stdio-client.js";

const SESSIONS = [8, 64];
/** Discarded runs per cluster before measuring, and measured runs per point (their median is reported). */
const WARM_ROUNDS = 2;
const LOAD_ROUNDS = 3;
const TAKEOVER_LEASE_S = 5;
const COST_CALLS = 20;
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Cluster {
  label: string;
  replicas: Replica[];
  nginx: RunningNginx;
}

interface ToolCost {
  tool: string;
  roundTripsPerCall: number;
  rowsReadPerCall: number;
  rowsWrittenPerCall: number;
}


async function cluster(label: string, nginxBin: string, ids: string[], env: Record<string, string>): Promise<Cluster> {
  const replicas: Replica[] = [];
  for (const id of ids) replicas.push(await startReplica(id, await freePort(), env));
  const nginx = await startNginx(nginxBin, await freePort(), replicas.map((r) => ({ id: r.id, address: r.address })));
  return { label, replicas, nginx };
}

async function stopCluster(c: Cluster): Promise<void> {
  await c.nginx.stop();
  for (const replica of c.replicas) {
    replica.signal("SIGTERM");
    await replica.exited;
  }
}

/** The PostgreSQL backends serving connections to `database` (each replica's pool). */
async function backendsOf(adminUrl: string, database: string): Promise<number[]> {
  return (await queryOnce<{ pid: number }>(adminUrl, "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [database])).map((row) => row.pid);
}

/** Rows read and written in the database so far, by every backend (stats lag by up to a second: callers wait). */
async function rowsSoFar(adminUrl: string, database: string): Promise<{ read: number; written: number }> {
  const [row] = await queryOnce<{ read: string; written: string }>(
    adminUrl,
    "SELECT tup_returned + tup_fetched AS read, tup_inserted + tup_updated + tup_deleted AS written FROM pg_stat_database WHERE datname = $1",
    [database],
  );
  return { read: Number(row!.read), written: Number(row!.written) };
}

async function measureCosts(adminUrl: string, database: string, databaseUrl: string, baseEnv: Record<string, string>): Promise<{ costs: ToolCost[]; idlePerSec: { roundTrips: number; rowsRead: number } }> {
  const server = new URL(adminUrl);
  const proxy = await startCountingProxy({ host: server.hostname, port: Number(server.port || 5432) });
  const viaProxy = new URL(databaseUrl);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  const replica = await startReplica("cost-1", await freePort(), { ...baseEnv, RETIVO_DATABASE_URL: viaProxy.toString() });
  const session = await openSession(`http://${replica.address}`, "cost", "form");
  try {
    const [playbook] = await queryOnce<{ id: string; constraints: string }>(databaseUrl, "SELECT id, constraints FROM playbooks WHERE tenant_id = 'live' AND status = 'active' ORDER BY id LIMIT 1");
    const channel = (JSON.parse(playbook!.constraints) as { channels: string[] }).channels[0]!;
    const users = (await queryOnce<{ id: string }>(databaseUrl, "SELECT id FROM customers WHERE tenant_id = 'live' AND opted_out = 0 AND paused = 0 ORDER BY id LIMIT 100")).map((u) => u.id);
    const window = async (calls: number, work: (i: number) => Promise<unknown>) => {
      await sleep(1200);
      const [trips0, rows0, t0] = [proxy.roundTrips(), await rowsSoFar(adminUrl, database), performance.now()];
      for (let i = 0; i < calls; i++) await work(i);
      const seconds = (performance.now() - t0) / 1000;
      await sleep(1200);
      const rows1 = await rowsSoFar(adminUrl, database);
      return { trips: proxy.roundTrips() - trips0, read: rows1.read - rows0.read, written: rows1.written - rows0.written, seconds };
    };
    // The background: the dispatcher's and the release loop's polls, with no call at all.
    const idle = await window(1, () => sleep(3000));
    const idlePerSec = { roundTrips: idle.trips / idle.seconds, rowsRead: idle.read / idle.seconds, rowsWritten: idle.written / idle.seconds };
    const ids: string[] = [];
    const cases: [string, (i: number) => Promise<unknown>][] = [
      ["list_interventions", () => session.call("list_interventions", { limit: 10 })],
      ["get_intervention", (i) => session.call("get_intervention", { intervention_id: ids[i % ids.length] })],
      ["dry_run_intervention", (i) => session.call("dry_run_intervention", { user_id: users[i % users.length] })],
      ["flag_intervention", (i) => session.call("flag_intervention", { intervention_id: ids[i], reason: "bench" })],
      ["approve_intervention", (i) => session.call("approve_intervention", { intervention_id: ids[COST_CALLS + i] })],
    ];
    const creating: [string, (i: number) => Promise<unknown>] = [
      "create_intervention",
      async (i) => {
        const result = await session.call("create_intervention", { user_id: users[i % users.length], playbook_id: playbook!.id, channel });
        ids.push((result.structuredContent as { id: string }).id);
      },
    ];
    const costs: ToolCost[] = [];
    for (const [tool, work] of [creating, ...cases]) {
      const calls = tool === "create_intervention" ? COST_CALLS * 2 : COST_CALLS;
      const w = await window(calls, work);
      costs.push({
        tool,
        roundTripsPerCall: round(Math.max(0, w.trips - idlePerSec.roundTrips * w.seconds) / calls, 1),
        rowsReadPerCall: round(Math.max(0, w.read - idlePerSec.rowsRead * w.seconds) / calls, 0),
        rowsWrittenPerCall: round(Math.max(0, w.written - idlePerSec.rowsWritten * w.seconds) / calls, 1),
      });
    }
    return { costs, idlePerSec: { roundTrips: round(idlePerSec.roundTrips, 1), rowsRead: round(idlePerSec.rowsRead, 0) } };
  } finally {
    await session.close().catch(() => {});
    replica.signal("SIGTERM");
    await replica.exited;
    await proxy.close();
  }
}

/** Kill -9 of the replica whose webhook POST is in flight: seconds until the other sends it again, and until that replica's client works again. */
async function measureTakeover(nginxBin: string, databaseUrl: string, baseEnv: Record<string, string>) {
  const secret = "bench-replicas-secret-0123456789";
  const receiver = await startWebhookReceiver(secret);
  const c = await cluster("takeover", nginxBin, ["tk-a", "tk-b"], {
    ...baseEnv,
    RETIVO_DELIVERY_LEASE_SECONDS: String(TAKEOVER_LEASE_S),
    RETIVO_WEBHOOK_URL: receiver.url,
    RETIVO_WEBHOOK_SECRET: secret,
  });
  const sessions: Session[] = [];
  try {
    const [playbook] = await queryOnce<{ id: string }>(databaseUrl, "SELECT id FROM playbooks WHERE tenant_id = 'live' AND status = 'active' AND constraints LIKE '%webhook%' ORDER BY id LIMIT 1");
    const [user] = await queryOnce<{ id: string }>(databaseUrl, "SELECT id FROM customers WHERE tenant_id = 'live' AND opted_out = 0 AND paused = 0 ORDER BY id DESC LIMIT 1");
    for (const id of ["tk-a", "tk-b"]) sessions.push(await sessionOn(c.nginx.url, id, "form"));
    const created = await sessions[0]!.call("create_intervention", { user_id: user!.id, playbook_id: playbook!.id, channel: "webhook" });
    const interventionId = (created.structuredContent as { id: string }).id;
    const postsFor = () => receiver.posts.filter((p) => p.body.intervention_id === interventionId);
    receiver.answer((post) => (post.body.intervention_id === interventionId && postsFor().length === 1 ? { delayMs: 60_000 } : { status: 204 }));
    await sessions[0]!.call("approve_intervention", { intervention_id: interventionId });
    while (postsFor().length === 0) await sleep(20);
    const [lease] = await queryOnce<{ owner: string }>(databaseUrl, "SELECT owner FROM delivery_leases WHERE work_key = $1", [interventionId]);
    const victim = c.replicas.find((r) => r.pid === Number(lease!.owner.split(":")[1]))!;
    let orphan = sessions.find((s) => s.replica === victim.id)!;
    const killedAt = performance.now();
    victim.kill9();
    await victim.exited;
    // The victim's client: its next call is 404 through nginx; it opens a new session and calls again.
    let sessionBackMs = Number.NaN;
    for (;;) {
      try {
        await orphan.call("list_interventions", { limit: 1 });
        sessionBackMs = performance.now() - killedAt;
        break;
      } catch (error) {
        if (!(error instanceof StreamableHTTPError && error.code === 404)) throw error;
        orphan = await openSession(c.nginx.url, "reconnected", "none");
        sessions.push(orphan);
      }
    }
    const deadline = Date.now() + (TAKEOVER_LEASE_S + 30) * 1000;
    while (postsFor().length < 2 && Date.now() < deadline) await sleep(20);
    const second = postsFor()[1];
    const killedAtWall = Date.now() - (performance.now() - killedAt);
    return {
      leaseSeconds: TAKEOVER_LEASE_S,
      takeoverSeconds: second ? round((second.at - killedAtWall) / 1000, 2) : Number.NaN,
      sameDeliveryId: second?.deliveryId === postsFor()[0]!.deliveryId,
      effects: receiver.effects.filter((e) => e.interventionId === interventionId).length,
      sessionReestablishedSeconds: round(sessionBackMs / 1000, 2),
    };
  } finally {
    for (const s of sessions) await s.close().catch(() => {});
    await stopCluster(c);
    await receiver.close();
  }
}

export async function runReplicasBench(): Promise<void> {
  const adminUrl = process.env.RETIVO_TEST_DATABASE_URL?.trim();
  if (!adminUrl) throw new Error("the replicas bench needs a PostgreSQL server: RETIVO_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench -- replicas");
  const nginxBin = nginxBinary();
  if (!nginxBin) throw new Error("the replicas bench needs nginx (apt-get install -y nginx-light)");
  const began = performance.now();
  const database = `retivo_bench_${Date.now().toString(36)}`;
  await queryOnce(adminUrl, `CREATE DATABASE ${database}`);
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).toString();
  const fixture = tempDir("replicas");
  const sqlitePath = join(fixture.dir, "retivo.db");
  const clusters: Cluster[] = [];
  try {
    const common = { RETIVO_LLM: "template", LOG_LEVEL: "error", HOME: fixture.dir, RETIVO_DATA_DIR: fixture.dir, RETIVO_MCP_MAX_SESSIONS: "200" };
    const pgEnv = { ...common, RETIVO_DATABASE_URL: databaseUrl, RETIVO_DATABASE_POOL_SIZE: "10" };
    log("seeding PostgreSQL and SQLite …");
    const seeded = spawnSync(process.execPath, [CLI, "seed"], { env: childEnv(pgEnv), encoding: "utf8" });
    if (seeded.status !== 0) throw new Error(`seed on PostgreSQL failed: ${seeded.stderr}`);
    seedDemo(fixture.dir, sqlitePath);

    log("throughput through nginx …");
    clusters.push(await cluster("SQLite, 1 process", nginxBin, ["sq-1"], { ...ourEnv(fixture.dir, sqlitePath), ...common }));
    // The same number of database connections in all (12), as an operator sizing one server would.
    clusters.push(await cluster("PostgreSQL, 1 replica", nginxBin, ["pg-1"], { ...pgEnv, RETIVO_DATABASE_POOL_SIZE: "12" }));
    clusters.push(await cluster("PostgreSQL, 3 replicas", nginxBin, ["pg-a", "pg-b", "pg-c"], { ...pgEnv, RETIVO_DATABASE_POOL_SIZE: "4" }));
    const targets = clusters.map((c) => ({
      label: c.label,
      port: Number(new URL(c.nginx.url).port),
      pid: c.replicas[0]!.pid,
      tool: "list_interventions",
      args: { limit: 10 },
      // Everything that serves a call: the replicas, nginx's workers and, on PostgreSQL, the backends of this
      // database's connections (not those of other work on the same server).
      serverPids: async () => ({
        replicas: c.replicas.map((r) => r.pid),
        nginx: childrenOf(c.nginx.pid),
        postgres: c.label.startsWith("PostgreSQL") ? await backendsOf(adminUrl, database) : [],
      }),
    }));
    // Freshly started processes run cold code: three replicas would pay V8's warm-up three times, a third
    // of the calls each, inside the measured runs. Warm every cluster first, then take the median of rounds.
    await measureHttpLoad(targets, WARM_ROUNDS, [Math.max(...SESSIONS)]);
    const load = await measureHttpLoad(targets, LOAD_ROUNDS, SESSIONS);
    for (const c of clusters.splice(0)) await stopCluster(c);

    log("cost per call …");
    const cost = await measureCosts(adminUrl, database, databaseUrl, pgEnv);
    log("a replica's death …");
    const takeover = await measureTakeover(nginxBin, databaseUrl, pgEnv);

    const point = (server: string, sessions: number) => load.points.find((p) => p.server === server && p.sessions === sessions)!;
    const verdicts = [
      ...SESSIONS.map((n) => {
        const ratio = point("PostgreSQL, 3 replicas", n).callsPerSec / point("PostgreSQL, 1 replica", n).callsPerSec;
        return { target: `3 replicas ≥ 0.95× 1 replica at ${n} sessions`, value: round(ratio, 2), pass: ratio >= 0.95 };
      }),
      { target: `takeover ≤ lease (${TAKEOVER_LEASE_S} s) + 5 s`, value: takeover.takeoverSeconds, pass: takeover.takeoverSeconds <= TAKEOVER_LEASE_S + 5 },
      { target: "0 errors under load", value: load.points.reduce((n, p) => n + p.errors, 0), pass: load.points.every((p) => p.errors === 0) },
      { target: "taken over with the same delivery id, applied once", value: `${takeover.sameDeliveryId}, ${takeover.effects}`, pass: takeover.sameDeliveryId && takeover.effects === 1 },
    ];
    const report = {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverage1m: round(loadavg()[0]!, 2), note: "shared with other work while measured: absolute figures are noisy, ratios less so" },
      throughput: load.points,
      costPerCall: cost.costs,
      idleBackgroundPerSecond: cost.idlePerSec,
      takeover,
      verdicts,
      durationSec: round((performance.now() - began) / 1000, 0),
    };
    writeFileSync(join(ROOT, "bench", "results", "replicas.json"), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(ROOT, "bench", "results", "replicas.md"), markdownOf(report.throughput, cost.costs, takeover, verdicts, report.machine.loadAverage1m));
    log("");
    log(markdownOf(report.throughput, cost.costs, takeover, verdicts, report.machine.loadAverage1m));
    if (verdicts.some((v) => !v.pass)) process.exitCode = 1;
  } finally {
    for (const c of clusters) await stopCluster(c);
    fixture.dispose();
    await queryOnce(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

function markdownOf(
  points: HttpPoint[],
  costs: ToolCost[],
  takeover: Awaited<ReturnType<typeof measureTakeover>>,
  verdicts: { target: string; value: unknown; pass: boolean }[],
  load1m: number,
): string {
  const servers = [...new Set(points.map((p) => p.server))];
  const lines = [
    "# Replicas benchmark",
    "",
    `The median of ${LOAD_ROUNDS} runs of each point after ${WARM_ROUNDS} warm-up runs per cluster, ${cpus().length} cores, 1-minute load average ${load1m} at the end (the machine was shared with other work).`,
    "",
    "## Throughput through nginx (list_interventions, limit 10)",
    "",
    `| server | ${SESSIONS.map((n) => `${n} sessions: calls/s, p50, p99 (ms)`).join(" | ")} |`,
    `|---|${SESSIONS.map(() => "---").join("|")}|`,
    ...servers.map((s) => `| ${s} | ${SESSIONS.map((n) => points.find((p) => p.server === s && p.sessions === n)).map((p) => `${p!.callsPerSec}, ${p!.p50}, ${p!.p99}${p!.errors ? ` (${p!.errors} errors)` : ""}`).join(" | ")} |`),
    "",
    "## CPU per call (list_interventions): the serving processes (replicas, nginx's workers, PostgreSQL), and the load generator",
    "",
    "CPU time from /proc over every call of the run, so it holds on a busy machine where throughput does not: on 2 cores, 3 replicas can only match 1 if they spend no more CPU per call.",
    "",
    `| server | ${SESSIONS.map((n) => `${n} sessions: server ms, client ms`).join(" | ")} |`,
    `|---|${SESSIONS.map(() => "---").join("|")}|`,
    ...servers.map(
      (s) =>
        `| ${s} | ${SESSIONS.map((n) => points.find((p) => p.server === s && p.sessions === n))
          .map((p) => `${p!.serverCpuMsPerCall} (${Object.entries(p!.serverCpuMsPerCallByPart).map(([part, ms]) => `${part} ${ms}`).join(", ")}), ${p!.clientCpuMsPerCall}`)
          .join(" | ")} |`,
    ),
    "",
    "## Cost per tool call on PostgreSQL (idle background subtracted)",
    "",
    "| tool | round trips | rows read | rows written |",
    "|---|---|---|---|",
    ...costs.map((c) => `| ${c.tool} | ${c.roundTripsPerCall} | ${c.rowsReadPerCall} | ${c.rowsWrittenPerCall} |`),
    "",
    "## A replica's death (kill -9 while its webhook POST is in flight)",
    "",
    `Lease ${takeover.leaseSeconds} s: delivery taken over after ${takeover.takeoverSeconds} s (same delivery id: ${takeover.sameDeliveryId}, effects at the receiver: ${takeover.effects}); the killed replica's client worked again on another replica after ${takeover.sessionReestablishedSeconds} s.`,
    "",
    "## Targets",
    "",
    ...verdicts.map((v) => `- ${v.pass ? "pass" : "FAIL"}: ${v.target} (${String(v.value)})`),
    "",
  ];
  return lines.join("\n");
}
