/**
 * Streamable HTTP throughput and latency with 1, 8 and 64 concurrent MCP
 * sessions: our list_interventions against the bare server's no-op over the
 * same transport. The load generator is the SDK's own Client in this
 * process; each session calls in a closed loop, bounded by a time window and
 * a call budget. Runs interleave the two servers so both see the same noise.
 */
import { setMaxListeners } from "node:events";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { cpuMsOf, memoryOf } from "./lib/proc.js";
import { median, percentile, round } from "./lib/stats.js";

export const CONCURRENCY = [1, 8, 64] as const;

export interface HttpTarget {
  label: string;
  port: number;
  pid: number;
  tool: string;
  args: Record<string, unknown>;
  /**
   * The processes serving the calls (replicas, nginx's workers, PostgreSQL's backends), for CPU per
   * call; the first pid alone when absent. Asked before and after the calls: a process that appeared
   * in between (a pool's new connection) counts from zero.
   */
  serverPids?: () => Promise<Record<string, number[]>> | Record<string, number[]>;
}

export interface HttpPoint {
  server: string;
  sessions: number;
  callsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time the serving processes used per call, and the load generator's own, ms (from /proc: 10 ms ticks over thousands of calls). */
  serverCpuMsPerCall: number;
  serverCpuMsPerCallByPart: Record<string, number>;
  clientCpuMsPerCall: number;
}

const WINDOW_MS = 3000;
const WARMUP_MS = 500;
const MAX_CALLS_PER_SESSION = 20_000;

interface Session {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

async function openSessions(target: HttpTarget, n: number): Promise<Session[]> {
  const sessions: Session[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const client = new Client({ name: `retivo-load-${i}`, version: "1.0.0" });
      const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${target.port}/mcp`));
      await client.connect(transport);
      sessions.push({ client, transport });
    }
  } catch (error) {
    await closeSessions(sessions);
    throw error;
  }
  return sessions;
}

/** DELETE each session (a client that only disconnects leaves it open until the server's idle timeout). */
async function closeSessions(sessions: readonly Session[]): Promise<void> {
  await Promise.all(
    sessions.map(async ({ client, transport }) => {
      await transport.terminateSession().catch(() => {});
      await client.close().catch(() => {});
    }),
  );
}

/**
 * The SDK's HTTP client transport adds an abort listener per request to one
 * long-lived signal and a closed loop of thousands of calls trips Node's leak
 * warning (1,500 by default) in this load generator; raise it for signals
 * created here so the report stays readable. Observed, not ours to fix.
 */
setMaxListeners(100_000);

async function oneRun(target: HttpTarget, sessions: number): Promise<HttpPoint> {
  const opened = await openSessions(target, sessions);
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  let completed = 0;
  let calls = 0;
  const partsNow = async () => Object.entries((await target.serverPids?.()) ?? { server: [target.pid] });
  const server0 = new Map((await partsNow()).flatMap(([, pids]) => pids).map((pid) => [pid, cpuMsOf(pid)]));
  const client0 = process.cpuUsage();
  const usedBy: Record<string, number> = {};
  let client = { user: 0, system: 0 };
  const warmupEnds = performance.now() + WARMUP_MS;
  const ends = warmupEnds + WINDOW_MS;
  try {
    await Promise.all(
      opened.map(async ({ client }) => {
        for (let i = 0; i < MAX_CALLS_PER_SESSION && performance.now() < ends; i++) {
          const start = performance.now();
          measuring ||= start >= warmupEnds;
          try {
            const result = (await client.callTool({ name: target.tool, arguments: target.args })) as CallToolResult;
            if (result.isError) errors++;
          } catch {
            errors++;
          }
          const end = performance.now();
          calls++;
          if (start >= warmupEnds && end <= ends) {
            latencies.push(end - start);
            completed++;
          }
        }
      }),
    );
    // Before the sessions close: closing them is not a call.
    for (const [part, pids] of await partsNow()) usedBy[part] = pids.reduce((sum, pid) => sum + cpuMsOf(pid) - (server0.get(pid) ?? 0), 0);
    client = process.cpuUsage(client0);
  } finally {
    await closeSessions(opened);
  }
  const perCall = (ms: number) => round(ms / Math.max(1, calls), 3);
  return {
    server: target.label,
    sessions,
    callsPerSec: round(completed / (WINDOW_MS / 1000), 0),
    p50: round(percentile(latencies, 50), 2),
    p99: round(percentile(latencies, 99), 2),
    errors,
    serverCpuMsPerCall: perCall(Object.values(usedBy).reduce((a, b) => a + b, 0)),
    serverCpuMsPerCallByPart: Object.fromEntries(Object.entries(usedBy).map(([part, ms]) => [part, perCall(ms)])),
    clientCpuMsPerCall: perCall((client.user + client.system) / 1000),
  };
}

export interface HttpResults {
  points: HttpPoint[];
  peakRssMb: Record<string, number>;
}

export async function measureHttpLoad(targets: readonly HttpTarget[], rounds: number, concurrency: readonly number[] = CONCURRENCY): Promise<HttpResults> {
  const runs = new Map<string, HttpPoint[]>();
  for (let r = 0; r < rounds; r++) {
    for (const sessions of concurrency) {
      for (const target of targets) {
        const key = `${target.label}|${sessions}`;
        runs.set(key, [...(runs.get(key) ?? []), await oneRun(target, sessions)]);
      }
    }
  }
  const points = [...runs.values()].map((list) => ({
    server: list[0]!.server,
    sessions: list[0]!.sessions,
    callsPerSec: median(list.map((p) => p.callsPerSec)),
    p50: median(list.map((p) => p.p50)),
    p99: median(list.map((p) => p.p99)),
    errors: list.reduce((sum, p) => sum + p.errors, 0),
    serverCpuMsPerCall: median(list.map((p) => p.serverCpuMsPerCall)),
    serverCpuMsPerCallByPart: list[0]!.serverCpuMsPerCallByPart,
    clientCpuMsPerCall: median(list.map((p) => p.clientCpuMsPerCall)),
  }));
  const peakRssMb = Object.fromEntries(targets.map((t) => [t.label, round(memoryOf(t.pid).peakMb, 1)]));
  return { points, peakRssMb };
}
