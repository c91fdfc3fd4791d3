/**
 * Tool-call latency over stdio: every tool of ours, the bare server's no-op,
 * and the generic OpenAPI server's equivalent calls, in rounds that
 * interleave the three servers. Approve and rollback go through the real
 * guard: the bench client declares form elicitation and confirms every form,
 * so their figures include one elicitation round trip.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { medianOf, round, summarize, timeCalls, type LatencySummary } from "./lib/stats.js";
import type { StdioSession } from "./lib/stdio-client.js";
import type { Targets } from "./lib/targets.js";

export interface ToolLatency {
  server: string;
  tool: string;
  p50: number;
  p99: number;
  n: number;
  note?: string;
}

interface Case {
  tool: string;
  /** Operation id in our OpenAPI document: how the generic server names the same call. */
  operation: string;
  count: number;
  note?: string;
  /** Arguments of call i; ids come from disjoint pools so each write is a real transition. */
  args(i: number): Record<string, unknown>;
}

const READS = 200;
const WRITES = 60;
const WARMUP = 10;

function cases(targets: Targets, rounds: number): Case[] {
  const per = (n: number) => n * rounds + WARMUP;
  const pick = (ids: string[]) => (i: number) => ids[i]!;
  const getId = targets.take("planned", 1)[0]!;
  const approve = pick(targets.take("planned", per(WRITES)));
  const pause = pick(targets.take("planned", per(WRITES)));
  const reject = pick(targets.take("planned", per(WRITES)));
  const flag = pick(targets.take("planned", per(WRITES)));
  const rollback = pick(targets.take("delivered", per(WRITES)));
  return [
    { tool: "list_interventions", operation: "listInterventions", count: READS, args: () => ({}) },
    { tool: "get_intervention", operation: "getIntervention", count: READS, args: () => ({ intervention_id: getId }) },
    { tool: "dry_run_intervention", operation: "dryRunIntervention", count: READS, args: () => ({ user_id: targets.userId }) },
    { tool: "create_intervention", operation: "createIntervention", count: WRITES, args: () => ({ ...targets.create }) },
    { tool: "pause_intervention", operation: "pauseIntervention", count: WRITES, args: (i) => ({ intervention_id: pause(i) }) },
    { tool: "reject_intervention", operation: "rejectIntervention", count: WRITES, args: (i) => ({ intervention_id: reject(i), reason: "bench: not relevant" }) },
    { tool: "flag_intervention", operation: "flagIntervention", count: WRITES, args: (i) => ({ intervention_id: flag(i), reason: "bench: check tone" }) },
    {
      tool: "approve_intervention",
      operation: "approveIntervention",
      count: WRITES,
      note: "ours: guard + form elicitation auto-confirmed by the bench client; generic: plain PUT (REST caller is the operator)",
      args: (i) => ({ intervention_id: approve(i) }),
    },
    {
      tool: "rollback_intervention",
      operation: "rollbackIntervention",
      count: WRITES,
      note: "ours: guard + form elicitation auto-confirmed; generic: plain PUT",
      args: (i) => ({ intervention_id: rollback(i), reason: "bench: sent by mistake" }),
    },
  ];
}

/** Fails loudly: a bench that times error results would flatter everyone. */
function expectOk(server: string, tool: string, result: CallToolResult): void {
  if (result.isError) {
    const text = (result.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join(" ");
    throw new Error(`${server} ${tool} returned an error: ${text.slice(0, 300)}`);
  }
}

export interface LatencyServers {
  ours: StdioSession;
  bare: StdioSession;
  generic?: { session: StdioSession; targets: Targets; call(operation: string, args: Record<string, unknown>): Promise<CallToolResult> };
}

export async function measureToolLatency(servers: LatencyServers, ourTargets: Targets, rounds: number): Promise<ToolLatency[]> {
  const ourCases = cases(ourTargets, rounds);
  const genericCases = servers.generic ? cases(servers.generic.targets, rounds) : [];
  const runs = new Map<string, LatencySummary[]>();
  const record = (key: string, samples: number[]) => runs.set(key, [...(runs.get(key) ?? []), summarize(samples)]);
  const cursor = new Map<string, number>();
  // Each round continues in the pools where the previous one stopped.
  const next = (key: string, count: number) => {
    const start = cursor.get(key) ?? 0;
    cursor.set(key, start + count);
    return start;
  };

  for (let r = 0; r < rounds; r++) {
    record("bare|noop", await timeCalls(READS, WARMUP, async () => expectOk("bare", "noop", await servers.bare.call("noop"))));
    record("bare|replay", await timeCalls(READS, WARMUP, async () => expectOk("bare", "replay", await servers.bare.call("replay"))));
    record("bare|replay_get", await timeCalls(READS, WARMUP, async () => expectOk("bare", "replay_get", await servers.bare.call("replay_get"))));
    for (const c of ourCases) {
      const base = next(`ours|${c.tool}`, c.count + (r === 0 ? WARMUP : 0));
      const samples = await timeCalls(c.count, r === 0 ? WARMUP : 0, async (i) =>
        expectOk("retivo-mcp", c.tool, await servers.ours.call(c.tool, c.args(base + i))),
      );
      record(`ours|${c.tool}`, samples);
    }
    const generic = servers.generic;
    if (generic) {
      for (const c of genericCases) {
        const base = next(`generic|${c.tool}`, c.count + (r === 0 ? WARMUP : 0));
        const samples = await timeCalls(c.count, r === 0 ? WARMUP : 0, async (i) =>
          expectOk("generic", c.operation, await generic.call(c.operation, c.args(base + i))),
        );
        record(`generic|${c.tool}`, samples);
      }
    }
  }

  const notes = new Map<string, string | undefined>([
    ...ourCases.map((c) => [c.tool, c.note] as const),
    ["replay", "the floor for list: our default list page's exact result, returned by the bare server"],
    ["replay_get", "our get_intervention result's exact bytes, returned by the bare server (a diagnostic: get's own work is the difference)"],
  ]);
  return [...runs.entries()].map(([key, summaries]) => {
    const [server, tool] = key.split("|") as [string, string];
    const s = medianOf(summaries);
    return { server, tool, p50: round(s.p50, 3), p99: round(s.p99, 3), n: s.n, note: notes.get(tool) };
  });
}
