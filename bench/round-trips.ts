/**
 * Database round trips per tool call on the PostgreSQL engine: a real runtime
 * on a PostgreSQL store (the server in RETIVO_BENCH_DATABASE_URL or
 * RETIVO_TEST_DATABASE_URL, in a database of its own for the run; else PGlite
 * in this process behind a loopback socket), called through a real MCP client
 * over InMemoryTransport. Each figure is the engine's count of exchanges with
 * the server during one call (background loops off), the most seen over a
 * few calls. Round trips, not milliseconds: what a network between the
 * server and the database multiplies.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ElicitRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { parseConfig } from "../src/config.js";
import { silentLogger } from "../src/log.js";
import { openRuntime, type Runtime } from "../src/runtime.js";
import { roundTripsOf } from "../src/store/postgres/index.js";
import { startPglite, startRealServer, type PostgresTarget } from "../test/store/support/postgres.js";
import { confirmEverything } from "./lib/stdio-client.js";
import { tempDir } from "./lib/fixture.js";

export interface RoundTripFigure {
  tool: string;
  /** What the call did, for the table. */
  what: string;
  roundTrips: number;
  /** The target it is judged by: reads ≤ 2, a transition with its audit row ≤ 4; none for the diagnostics. */
  limit?: number;
}

export interface RoundTrips {
  where: string;
  figures: RoundTripFigure[];
}

const CALLS = 5;

async function target(): Promise<{ pg: PostgresTarget; where: string }> {
  const url = process.env.RETIVO_BENCH_DATABASE_URL?.trim() || process.env.RETIVO_TEST_DATABASE_URL?.trim();
  if (url) return { pg: await startRealServer(url), where: "PostgreSQL server (a database of its own for the run)" };
  return { pg: await startPglite(), where: "PGlite over a loopback socket (no RETIVO_BENCH_DATABASE_URL or RETIVO_TEST_DATABASE_URL)" };
}

function idsIn(result: CallToolResult): string[] {
  const page = result.structuredContent as { interventions?: Array<{ id: string }> } | undefined;
  return (page?.interventions ?? []).map((row) => row.id);
}

export async function measureRoundTrips(): Promise<RoundTrips> {
  const { pg, where } = await target();
  const fixture = tempDir("round-trips");
  let runtime: Runtime | undefined;
  let client: Client | undefined;
  try {
    const env = { RETIVO_DATABASE_URL: pg.url, RETIVO_DATA_DIR: fixture.dir, RETIVO_LLM: "template", HOME: fixture.dir, LOG_LEVEL: "silent" };
    runtime = await openRuntime(parseConfig(["serve"], env), silentLogger(), { startDispatcher: false, startReleaseLoop: false });
    const server = runtime.newServer();
    client = new Client({ name: "round-trips", version: "1" }, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler(ElicitRequestSchema, (request) => confirmEverything(request));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    const store = runtime.store;
    const call = async (name: string, args: Record<string, unknown>) => {
      const before = roundTripsOf(store)!;
      const result = (await client!.callTool({ name, arguments: args })) as CallToolResult;
      if (result.isError) throw new Error(`${name} failed in the round-trip benchmark: ${JSON.stringify(result.content)}`);
      return { result, roundTrips: roundTripsOf(store)! - before };
    };
    const most = async (name: string, argsFor: (i: number) => Record<string, unknown>) => {
      let worst = 0;
      for (let i = 0; i < CALLS; i++) worst = Math.max(worst, (await call(name, argsFor(i))).roundTrips);
      return worst;
    };
    const planned = idsIn((await call("list_interventions", { status: "planned", limit: 4 * CALLS })).result);
    if (planned.length < 3 * CALLS) throw new Error(`the round-trip benchmark needs ${3 * CALLS} planned interventions, the demo data has ${planned.length}`);
    const figures: RoundTripFigure[] = [
      { tool: "get_intervention", what: "one intervention with its delivery outcome", roundTrips: await most("get_intervention", (i) => ({ intervention_id: planned[i] })), limit: 2 },
      { tool: "list_interventions", what: "default page", roundTrips: await most("list_interventions", () => ({})), limit: 2 },
      { tool: "list_interventions", what: "filtered page (status planned)", roundTrips: await most("list_interventions", () => ({ status: "planned" })), limit: 2 },
      { tool: "pause_intervention", what: "planned → paused, with its audit row", roundTrips: await most("pause_intervention", (i) => ({ intervention_id: planned[CALLS + i] })), limit: 4 },
      {
        tool: "reject_intervention",
        what: "planned → rejected, with its audit row",
        roundTrips: await most("reject_intervention", (i) => ({ intervention_id: planned[2 * CALLS + i], reason: "Not now: the round-trip benchmark." })),
        limit: 4,
      },
    ];
    // Diagnostic: the whole guarded call (request, form answer, decision, the transition spending it, five audit rows).
    const approvable = planned.slice(3 * CALLS);
    if (approvable[0]) figures.push({ tool: "approve_intervention", what: "guarded: request, form approval, execution (diagnostic)", roundTrips: (await call("approve_intervention", { intervention_id: approvable[0] })).roundTrips });
    return { where, figures };
  } finally {
    await client?.close();
    await runtime?.close();
    await pg.close();
    fixture.dispose();
  }
}
