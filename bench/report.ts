/** bench/results/latest.json and latest.md from one run's figures. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RoundTrips } from "./round-trips.js";
import type { Figures, Verdict } from "./targets.js";

export interface Machine {
  cpus: number;
  cpuModel: string;
  ramGb: number;
  node: string;
  loadAverage: number[];
}

export interface Report extends Figures {
  date: string;
  machine: Machine;
  verdicts: Verdict[];
  memory: { what: string; mb: number }[];
  notes: string[];
  durationSec: number;
}

const row = (cells: (string | number | undefined)[]) => `| ${cells.map((c) => (c === undefined ? "" : String(c))).join(" | ")} |`;

export function markdown(r: Report): string {
  const out: string[] = [
    `# retivo-mcp bench: ${r.date}`,
    "",
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.ramGb} GB RAM, Node ${r.machine.node}; load average at start ${r.machine.loadAverage.join(" / ")}. Run took ${r.durationSec} s. Every figure is the median of several runs; ratios compare figures of the same run.`,
    "",
    "## Targets",
    "",
    row(["target", "measured", "result"]),
    row(["---", "---", "---"]),
    ...r.verdicts.map((v) => row([v.target, v.measured, v.pass ? "PASS" : "**FAIL**"])),
    "",
    "## Cold start (spawn → initialize result, stdio)",
    "",
    row(["server", "median ms", "runs (ms)", "idle RSS MB"]),
    row(["---", "---:", "---", "---:"]),
    ...r.coldStarts.map((c) => row([c.label, c.medianMs, c.samplesMs.join(", "), c.idleRssMb])),
    "",
    "## Tool-call latency over stdio (ms)",
    "",
    row(["tool", "retivo-mcp p50", "p99", "generic OpenAPI p50", "p99", "note"]),
    row(["---", "---:", "---:", "---:", "---:", "---"]),
  ];
  const floors: Record<string, string> = { noop: "bare SDK no-op", replay: "bare SDK, our list page's bytes", replay_get: "bare SDK, our get result's bytes" };
  for (const bare of r.latency.filter((l) => l.server === "bare")) {
    out.push(row([floors[bare.tool] ?? `bare SDK ${bare.tool}`, bare.p50, bare.p99, "", "", bare.note ?? "the floor"]));
  }
  for (const ours of r.latency.filter((l) => l.server === "ours")) {
    const generic = r.latency.find((l) => l.server === "generic" && l.tool === ours.tool);
    out.push(row([ours.tool, ours.p50, ours.p99, generic?.p50, generic?.p99, ours.note]));
  }
  out.push(
    "",
    "## list_interventions by store size (in-process MCP client, ms; a row written before each call, untimed, so every page is read from the store)",
    "",
    row(["rows", "filter", "p50", "p99", "store only p50", "rows returned"]),
    row(["---:", "---", "---:", "---:", "---:", "---:"]),
    ...r.list.map((p) => row([p.size.toLocaleString("en"), p.filter, p.p50, p.p99, p.storeP50, p.rows])),
    "",
    "## Streamable HTTP (closed-loop sessions, load generator on the same machine)",
    "",
    row(["server (call)", "sessions", "calls/s", "p50 ms", "p99 ms", "errors"]),
    row(["---", "---:", "---:", "---:", "---:", "---:"]),
    ...r.http.map((p) => row([p.server, p.sessions, p.callsPerSec, p.p50, p.p99, p.errors])),
    "",
    "## Memory (from /proc/<pid>/status of the spawned server)",
    "",
    row(["process and moment", "MB"]),
    row(["---", "---:"]),
    ...r.memory.map((m) => row([m.what, m.mb])),
    "",
    "## Size of what the agent reads",
    "",
    row(["what", "bytes", "tokens (o200k)"]),
    row(["---", "---:", "---:"]),
    ...r.surface.map((s) => row([s.what, s.bytes, s.tokens])),
    "",
  );
  if (r.roundTrips) out.push(...roundTripsSection(r.roundTrips));
  if (r.notes.length > 0) out.push("## Notes", "", ...r.notes.map((n) => `- ${n}`), "");
  return out.join("\n");
}

/** The table of round trips per tool call; `npm run bench -- round-trips` prints it alone. */
export function roundTripsSection(trips: RoundTrips): string[] {
  return [
    `## Database round trips per tool call (${trips.where})`,
    "",
    row(["tool", "what", "round trips", "target"]),
    row(["---", "---", "---:", "---:"]),
    ...trips.figures.map((f) => row([f.tool, f.what, f.roundTrips, f.limit === undefined ? "" : `≤ ${f.limit}`])),
    "",
  ];
}

export function writeReport(dir: string, report: Report): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(dir, "latest.md"), markdown(report));
}
