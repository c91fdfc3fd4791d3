/**
 * list_interventions at 10k, 100k and 1M stored interventions, with and
 * without filters, through a real MCP client over InMemoryTransport to a real
 * runtime (so the figure includes zod validation and serialization but no
 * transport). The store only grows between sizes, so the 1M store is built
 * once. The store alone (backend.list) is timed too, to tell the layers apart.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { parseConfig } from "../src/config.js";
import { silentLogger } from "../src/log.js";
import { openRuntime } from "../src/runtime.js";
import type { ListQuery } from "../src/backend/types.js";
import { bulkSeed, HISTORY_MIX } from "./lib/bulk-seed.js";
import { tempDir } from "./lib/fixture.js";
import { median, round, summarize, timeCalls } from "./lib/stats.js";
import { dbOf } from "../test/support/sqlite.js";

export const SIZES = [10_000, 100_000, 1_000_000] as const;

export interface ListPoint {
  size: number;
  filter: string;
  p50: number;
  p99: number;
  storeP50: number;
  rows: number;
}

const CALLS = 200;
const WARMUP = 20;

function filtersFor(userId: string): Record<string, Record<string, unknown>> {
  return {
    none: {},
    status: { status: "planned" },
    "status+channel": { status: "delivered", channel: "email" },
    user_id: { user_id: userId },
    flagged: { flagged: true },
  };
}

export async function measureListScaling(rounds: number, log: (line: string) => void): Promise<ListPoint[]> {
  // tmpfs when there is one: the 1M store is ~700 MB and the page cache would hold it anyway.
  const fixture = tempDir("list", existsSync("/dev/shm") ? "/dev/shm" : undefined);
  const dbPath = join(fixture.dir, "retivo.db");
  const env = { RETIVO_DB: dbPath, RETIVO_DATA_DIR: fixture.dir, RETIVO_LLM: "template", HOME: fixture.dir, LOG_LEVEL: "silent" };
  const config = parseConfig(["serve"], env);
  const points: ListPoint[] = [];
  try {
    // Opening a runtime once seeds the demo catalog (tenant, customers, playbooks).
    await (await openRuntime(config, silentLogger(), { startDispatcher: false })).close();
    let stored = countInterventions(dbPath);
    for (const size of SIZES) {
      const started = performance.now();
      stored = bulkSeed(dbPath, { tenantId: "live", count: size - stored, mix: HISTORY_MIX, batch: `s${String(size).length}` });
      log(`  seeded ${stored} interventions in ${round((performance.now() - started) / 1000, 1)} s`);
      points.push(...(await measureAt(config, stored, rounds)));
    }
  } finally {
    fixture.dispose();
  }
  return points;
}

function countInterventions(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare("SELECT COUNT(*) FROM interventions WHERE tenant_id = 'live'").pluck().get() as number;
  } finally {
    db.close();
  }
}

async function measureAt(config: ReturnType<typeof parseConfig>, size: number, rounds: number): Promise<ListPoint[]> {
  const runtime = await openRuntime(config, silentLogger(), { startDispatcher: false });
  const client = new Client({ name: "retivo-bench", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([runtime.newServer().connect(serverSide), client.connect(clientSide)]);
  try {
    const userId = dbOf(runtime).prepare("SELECT user_id FROM interventions WHERE tenant_id = 'live' ORDER BY seq DESC LIMIT 1").pluck().get() as string;
    // One row written before each call, untimed: the SQLite engine would otherwise answer a repeated
    // page from its read cache, and this figure is about what a page costs to read at each size.
    const touch = dbOf(runtime).prepare("UPDATE tenants SET name = name WHERE id = 'live'");
    const miss = () => void touch.run();
    const points: ListPoint[] = [];
    for (const [filter, args] of Object.entries(filtersFor(userId))) {
      const p50s: number[] = [];
      const p99s: number[] = [];
      const storeP50s: number[] = [];
      let rows = 0;
      for (let r = 0; r < rounds; r++) {
        const samples = await timeCalls(CALLS, WARMUP, async () => {
          const result = (await client.callTool({ name: "list_interventions", arguments: args })) as CallToolResult;
          if (result.isError) throw new Error(`list_interventions ${filter}: ${JSON.stringify(result.content)}`);
          rows = (result.structuredContent as { interventions: unknown[] }).interventions.length;
        }, miss);
        const summary = summarize(samples);
        p50s.push(summary.p50);
        p99s.push(summary.p99);
        const query = { limit: 20, ...args } as ListQuery;
        storeP50s.push(summarize(await timeCalls(CALLS, WARMUP, () => runtime.backend.list(query))).p50);
      }
      points.push({ size, filter, p50: round(median(p50s), 3), p99: round(median(p99s), 3), storeP50: round(median(storeP50s), 3), rows });
    }
    return points;
  } finally {
    await client.close();
    await runtime.close();
  }
}
