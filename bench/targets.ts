/**
 * The speed and size targets, each judged from figures measured in the same
 * run: a call is compared with the bare SDK server doing the least that call
 * could (a no-op for get, and the very same result bytes for get and list).
 */
import type { ColdStart } from "./cold-start.js";
import type { HttpPoint } from "./http-load.js";
import type { ListPoint } from "./list-scaling.js";
import type { RoundTrips } from "./round-trips.js";
import type { SurfaceSize } from "./surface.js";
import type { ToolLatency } from "./tool-latency.js";
import { round } from "./lib/stats.js";

export interface Verdict {
  target: string;
  measured: string;
  pass: boolean;
}

export interface Figures {
  coldStarts: ColdStart[];
  latency: ToolLatency[];
  list: ListPoint[];
  http: HttpPoint[];
  surface: SurfaceSize[];
  idleRssMb: number;
  /** PostgreSQL round trips per tool call (absent when that phase could not run). */
  roundTrips?: RoundTrips;
}

/** A 100× larger store may cost at most this much more per page to count as flat. */
const FLAT_RATIO = 2;

/** Reads ≤ 2 round trips, a transition with its audit row ≤ 4: the worst call of each kind. */
export function roundTripVerdicts(trips: RoundTrips | undefined): Verdict[] {
  if (!trips) return [];
  return [2, 4].flatMap((limit) => {
    const judged = trips.figures.filter((f) => f.limit === limit);
    if (judged.length === 0) return [];
    const worst = judged.reduce((a, b) => (b.roundTrips > a.roundTrips ? b : a));
    return [
      {
        target: limit === 2 ? "PostgreSQL round trips per read (get, list) ≤ 2" : "PostgreSQL round trips per transition with its audit row ≤ 4",
        measured: `worst ${worst.roundTrips} (${worst.tool}: ${worst.what}); ${judged.map((f) => `${f.tool} ${f.roundTrips}`).join(", ")}`,
        pass: worst.roundTrips <= limit,
      },
    ];
  });
}

export function judge(f: Figures): Verdict[] {
  const verdicts: Verdict[] = [];
  const cold = (label: string) => f.coldStarts.find((c) => c.label === label)?.medianMs;
  const ours = cold("retivo-mcp");
  const bare = cold("bare SDK");
  if (ours !== undefined && bare !== undefined) {
    const ratio = ours / bare;
    verdicts.push({ target: "cold start ≤ 1.2× bare", measured: `${ours} ms vs ${bare} ms = ${round(ratio)}×`, pass: ratio <= 1.2 });
  }

  const floors = [
    // The issue's target for get. Its 2.9 KB result costs the bare server itself 1.2-1.5x its no-op
    // (serialising and piping it), so it is judged beside the same-bytes floor too, as list is.
    { tool: "get_intervention", floor: "noop", limit: 1.3, what: "bare no-op" },
    { tool: "get_intervention", floor: "replay_get", limit: 1.3, what: "bare SDK returning the same bytes" },
    { tool: "list_interventions", floor: "replay", limit: 1.5, what: "bare SDK returning the same bytes" },
  ];
  for (const { tool, floor, limit, what } of floors) {
    const bareCall = f.latency.find((l) => l.server === "bare" && l.tool === floor);
    const ourCall = f.latency.find((l) => l.server === "ours" && l.tool === tool);
    if (!bareCall || !ourCall) continue;
    const ratio = ourCall.p50 / bareCall.p50;
    verdicts.push({
      target: `${tool} p50 ≤ ${limit}× ${what} (stdio)`,
      measured: `${ourCall.p50} ms vs ${bareCall.p50} ms = ${round(ratio)}×`,
      pass: ratio <= limit,
    });
  }

  const at = (size: number) => f.list.filter((p) => p.size === size);
  const largest = Math.max(...f.list.map((p) => p.size));
  const smallest = Math.min(...f.list.map((p) => p.size));
  const worstFiltered = at(largest)
    .filter((p) => p.filter !== "none")
    .sort((a, b) => b.p50 - a.p50)[0];
  if (worstFiltered) {
    verdicts.push({
      target: `filtered list at ${largest.toLocaleString("en")} rows p50 ≤ 5 ms (worst filter)`,
      measured: `${worstFiltered.p50} ms (${worstFiltered.filter})`,
      pass: worstFiltered.p50 <= 5,
    });
  }
  const ratios = at(largest).map((big) => {
    const small = at(smallest).find((p) => p.filter === big.filter)!;
    return { filter: big.filter, ratio: big.p50 / small.p50 };
  });
  if (ratios.length > 0) {
    const worst = ratios.sort((a, b) => b.ratio - a.ratio)[0]!;
    verdicts.push({
      target: `list cost flat: p50 at ${largest / 1000}k ≤ ${FLAT_RATIO}× p50 at ${smallest / 1000}k, every filter`,
      measured: `worst ${round(worst.ratio)}× (${worst.filter})`,
      pass: worst.ratio <= FLAT_RATIO,
    });
  }

  const http = (server: string) => f.http.find((p) => p.server === server && p.sessions === 8);
  const ourHttp = http("retivo-mcp");
  const bareHttp = http("bare SDK");
  if (ourHttp && bareHttp) {
    const ratio = ourHttp.callsPerSec / bareHttp.callsPerSec;
    verdicts.push({
      target: "HTTP throughput, 8 sessions: list_interventions ≥ 0.7× bare no-op",
      measured: `${ourHttp.callsPerSec} vs ${bareHttp.callsPerSec} calls/s = ${round(ratio)}×`,
      pass: ratio >= 0.7,
    });
  }

  verdicts.push(...roundTripVerdicts(f.roundTrips));

  verdicts.push({ target: "idle RSS ≤ 120 MB", measured: `${f.idleRssMb} MB`, pass: f.idleRssMb <= 120 });

  const toolsList = f.surface.find((s) => s.what.startsWith("retivo-mcp tools/list"));
  if (toolsList) {
    verdicts.push({ target: "tools/list ≤ 3,000 tokens", measured: `${toolsList.tokens} tokens (${toolsList.bytes} bytes)`, pass: toolsList.tokens <= 3000 });
  }
  return verdicts;
}
