/**
 * `npm run bench`: builds, then measures retivo-mcp against the bare SDK
 * floor and the generic OpenAPI-to-MCP server, judges the targets, and writes
 * bench/results/latest.{json,md}. Loopback only; every child is killed on the
 * way out, and each phase is bounded by call counts and time windows.
 * `npm run bench -- reliability` runs the fault campaigns (reliability.ts);
 * `npm run bench -- oauth-verify` the cost of checking an OAuth access token;
 * `npm run bench -- round-trips` only the PostgreSQL round trips per tool call;
 * `npm run bench -- replicas` several replicas on PostgreSQL behind nginx.
 */
import { existsSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { measureColdStarts } from "./cold-start.js";
import { measureHttpLoad, type HttpResults } from "./http-load.js";
import { measureListScaling } from "./list-scaling.js";
import { measureRoundTrips, type RoundTrips } from "./round-trips.js";
import { measureSurface, type SurfaceSize } from "./surface.js";
import { judge, roundTripVerdicts } from "./targets.js";
import { measureToolLatency, type ToolLatency } from "./tool-latency.js";
import { prepareBenchStore } from "./lib/bench-store.js";
import { BARE, bareReplaying, bareStdio, CLI, ourEnv, ourStdio, ROOT, startGeneric, startListening, tempDir, type GenericSetup } from "./lib/fixture.js";
import { genericCaller } from "./lib/generic-adapter.js";
import { memoryOf } from "./lib/proc.js";
import { round } from "./lib/stats.js";
import { spawnStdio } from "./lib/stdio-client.js";
import { targetsFor } from "./lib/targets.js";
import { markdown, roundTripsSection, writeReport, type Report } from "./report.js";
import { encode } from "gpt-tokenizer";

const COLD_ROUNDS = 7;
const LATENCY_ROUNDS = 3;
const LIST_ROUNDS = 3;
const HTTP_ROUNDS = 3;

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm run bench does).`);
  const began = performance.now();
  const notes: string[] = [];
  const memory: Report["memory"] = [];
  const fixture = tempDir("run");
  const dbPath = join(fixture.dir, "retivo.db");
  let generic: GenericSetup | undefined;
  try {
    log("preparing the store …");
    await prepareBenchStore(dbPath);
    try {
      generic = await startGeneric(fixture.dir, dbPath);
    } catch (error) {
      notes.push(`generic OpenAPI server not measured: ${(error as Error).message}`);
    }

    log("cold start …");
    const coldStarts = await measureColdStarts(
      [ourStdio(fixture.dir, dbPath), bareStdio, ...(generic ? [generic.command] : [])],
      COLD_ROUNDS,
    );
    const idleRssMb = coldStarts.find((c) => c.label === "retivo-mcp")!.idleRssMb;

    log("tool-call latency over stdio …");
    const ours = await spawnStdio(ourStdio(fixture.dir, dbPath), { elicitation: true });
    // The same-bytes floor: our default list page, as the client received it, replayed by the bare server.
    const replayFile = join(fixture.dir, "list-page.json");
    writeFileSync(replayFile, JSON.stringify(await ours.call("list_interventions")));
    // And our get result's bytes (the intervention the latency phase reads), for the same comparison on get.
    const getFile = join(fixture.dir, "get-result.json");
    writeFileSync(getFile, JSON.stringify(await ours.call("get_intervention", { intervention_id: targetsFor(dbPath, "live").take("planned", 1)[0]! })));
    const bare = await spawnStdio(bareReplaying(replayFile, getFile));
    const genericSession = generic ? await spawnStdio(generic.command).catch((e: Error) => (notes.push(`generic stdio: ${e.message}`), undefined)) : undefined;
    let latency: ToolLatency[];
    let surface: SurfaceSize[];
    try {
      const caller = genericSession ? await genericCaller(genericSession) : undefined;
      surface = await measureSurface(ours, bare, genericSession);
      if (caller) {
        const page = await caller.call("listInterventions", {});
        const json = JSON.stringify(page);
        surface.push({ what: "generic OpenAPI listInterventions default page (raw REST JSON in text)", bytes: Buffer.byteLength(json), tokens: encode(json).length });
      }
      latency = await measureToolLatency(
        {
          ours,
          bare,
          generic: caller && genericSession ? { session: genericSession, targets: targetsFor(dbPath, "test"), call: caller.call } : undefined,
        },
        targetsFor(dbPath, "live"),
        LATENCY_ROUNDS,
      );
      memory.push({ what: "retivo-mcp stdio: peak after the tool-call runs (VmHWM)", mb: round(memoryOf(ours.pid).peakMb, 1) });
      memory.push({ what: "bare SDK stdio: peak after the tool-call runs (VmHWM)", mb: round(memoryOf(bare.pid).peakMb, 1) });
      if (genericSession) memory.push({ what: "generic OpenAPI stdio: peak after the tool-call runs (VmHWM)", mb: round(memoryOf(genericSession.pid).peakMb, 1) });
    } finally {
      await Promise.all([ours.close(), bare.close(), genericSession?.close()]);
      await generic?.rest.stop();
    }
    for (const c of coldStarts) memory.unshift({ what: `${c.label} stdio: idle after initialize`, mb: c.idleRssMb });

    log("list_interventions at 10k / 100k / 1M …");
    const list = await measureListScaling(LIST_ROUNDS, log);

    log("Streamable HTTP …");
    let http: HttpResults = { points: [], peakRssMb: {} };
    const ourHttp = await startListening((port) => [CLI, "serve", "--http", "--port", String(port)], ourEnv(fixture.dir, dbPath)).catch(
      (e: Error) => (notes.push(`our HTTP server not measured: ${e.message}`), undefined),
    );
    const bareHttp = await startListening((port) => [BARE, "--http", "--port", String(port)], {});
    try {
      if (ourHttp) {
        memory.push({ what: "retivo-mcp HTTP: idle", mb: round(memoryOf(ourHttp.child.pid!).rssMb, 1) });
        http = await measureHttpLoad(
          [
            { label: "retivo-mcp", port: ourHttp.port, pid: ourHttp.child.pid!, tool: "list_interventions", args: {} },
            { label: "bare SDK", port: bareHttp.port, pid: bareHttp.child.pid!, tool: "noop", args: {} },
            // Diagnostic: the same server and tool with a one-row page separates payload cost from per-request cost.
            { label: "retivo-mcp (list, limit 1)", port: ourHttp.port, pid: ourHttp.child.pid!, tool: "list_interventions", args: { limit: 1 } },
          ],
          HTTP_ROUNDS,
        ).catch((e: Error) => (notes.push(`HTTP load failed: ${e.message}`), http));
        for (const [label, mb] of Object.entries(http.peakRssMb)) if (!label.includes("limit 1")) memory.push({ what: `${label} HTTP: peak after 1/8/64-session load (VmHWM)`, mb });
      }
    } finally {
      await Promise.all([ourHttp?.stop(), bareHttp.stop()]);
    }

    log("PostgreSQL round trips per tool call …");
    const roundTrips: RoundTrips | undefined = await measureRoundTrips().catch((e: Error) => (notes.push(`round trips not measured: ${e.message}`), undefined));

    const figures = { coldStarts, latency, list, http: http.points, surface, idleRssMb, ...(roundTrips ? { roundTrips } : {}) };
    const report: Report = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        ramGb: round(totalmem() / 2 ** 30, 1),
        node: process.version,
        loadAverage: loadavg().map((l) => round(l, 2)),
      },
      ...figures,
      verdicts: judge(figures),
      memory,
      notes,
      durationSec: round((performance.now() - began) / 1000, 0),
    };
    writeReport(join(ROOT, "bench", "results"), report);
    log("");
    log(markdown(report));
    if (report.verdicts.some((v) => !v.pass)) process.exitCode = 1;
  } finally {
    fixture.dispose();
  }
}

async function runRoundTrips(): Promise<void> {
  const trips = await measureRoundTrips();
  log(roundTripsSection(trips).join("\n"));
  const verdicts = roundTripVerdicts(trips);
  for (const v of verdicts) log(`${v.pass ? "PASS" : "FAIL"}  ${v.target}: ${v.measured}`);
  if (verdicts.some((v) => !v.pass)) process.exitCode = 1;
}

// `npm run bench -- reliability [--quick]`: the long fault campaigns instead of the speed figures.
const job =
  process.argv[2] === "reliability"
    ? import("./reliability.js").then((m) => m.runReliability(process.argv.slice(3)))
    : process.argv[2] === "oauth-verify"
      ? import("./oauth-verify.js").then((m) => m.runOAuthVerify())
      : process.argv[2] === "round-trips"
        ? runRoundTrips()
        : process.argv[2] === "replicas"
          ? import("./replicas.js").then((m) => m.runReplicasBench())
          : main();
job.catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(2);
});
