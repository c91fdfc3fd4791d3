/**
 * The eval's report: the same figures as a terminal table, a markdown page
 * and JSON (bench/results/eval.{md,json}).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CATCHES, type ProviderScore, type Verdict } from "./score.js";

export interface EvalReport {
  date: string;
  node: string;
  cases: number;
  personas: number;
  playbook_channels: number;
  checks_module: string;
  providers: ProviderScore[];
  targets: Verdict[];
}

const pct = (rate: number) => `${(rate * 100).toFixed(1)} %`;

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

function checkRows(r: EvalReport): string[][] {
  const names = [...new Set(r.providers.flatMap((p) => Object.keys(p.checks)))];
  const rows = names.map((name) => {
    const severity = r.providers.map((p) => p.checks[name]?.severity).find(Boolean) ?? "";
    return [
      `${name} (${severity})`,
      ...r.providers.map((p) => {
        const stored = p.checks[name];
        const first = p.first_answer_checks?.[name];
        return `${stored ? pct(stored.pass_rate) : "n/a"}${first ? ` [${pct(first.pass_rate)}]` : ""}`;
      }),
    ];
  });
  rows.push(["flagged", ...r.providers.map((p) => pct(p.flagged_share))]);
  rows.push(["replaced by the template", ...r.providers.map((p) => pct(p.fallback_share))]);
  return rows;
}

function faultRows(r: EvalReport): string[][] {
  const models = r.providers.filter((p) => p.misbehaving);
  return (Object.keys(CATCHES) as (keyof typeof CATCHES)[])
    .filter((kind) => models.some((p) => p.faults[kind]))
    .map((kind) => [
      `${kind} (${CATCHES[kind]})`,
      ...models.map((p) => {
        const t = p.faults[kind];
        return t ? `${t.detected}/${t.planted} caught, ${t.reached_unflagged} unflagged` : "-";
      }),
    ]);
}

export function terminalReport(r: EvalReport): string {
  const models = r.providers.filter((p) => p.misbehaving);
  const stored = r.providers.flatMap((p) => p.failing_drafts.filter((d) => d.draft === "stored").map((d) => ({ provider: p.provider, ...d })));
  return [
    `retivo-mcp writer eval, ${r.date}: ${r.cases} cases (${r.personas} personas x ${r.playbook_channels} playbook/channel pairs), checks from ${r.checks_module}`,
    "",
    "Share of stored drafts passing each check; [first answer of the model, before repair or fallback]",
    ...table(["check", ...r.providers.map((p) => p.provider)], checkRows(r)),
    "",
    "Faults the misbehaving models planted (spontaneous or obeying an injection)",
    ...table(["fault (its check)", ...models.map((p) => p.provider)], faultRows(r)),
    "",
    `Stored drafts failing an error check (flagged): ${stored.length}`,
    ...stored.slice(0, 20).map((d) => `  ${d.provider} ${d.case}: ${d.failed.map((f) => `${f.name}: ${f.detail}`).join("; ")}`),
    `Stored drafts with warnings only: ${r.providers.map((p) => `${p.provider} ${p.warned_drafts}`).join(", ")}`,
    ...models.map((p) => {
      const first = p.failing_drafts.filter((d) => d.draft === "first answer");
      const example = first[0] ? `; e.g. ${first[0].case}: ${first[0].failed.map((f) => `${f.name}: ${f.detail}`).join("; ")}` : "";
      return `First answers failing an error check, ${p.provider}: ${first.length} of ${p.cases}${example}`;
    }),
    "(every failing draft, with its checks, is in bench/results/eval.json)",
    "",
    "Targets",
    ...r.targets.map((v) => `  ${v.pass ? "PASS" : "FAIL"}  ${v.target}: ${v.measured}`),
  ].join("\n");
}

function markdown(r: EvalReport): string {
  const md = (head: string[], rows: string[][]) => [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ];
  const models = r.providers.filter((p) => p.misbehaving);
  return [
    `# retivo-mcp writer eval: ${r.date}`,
    "",
    `${r.cases} cases (${r.personas} personas × ${r.playbook_channels} playbook/channel pairs), Node ${r.node}. Checks: ${r.checks_module}, the module that computes quality_checks in production. Regenerate with \`npm run eval\`.`,
    "",
    "## Targets",
    "",
    ...md(["target", "measured", "result"], r.targets.map((v) => [v.target, v.measured, v.pass ? "PASS" : "**FAIL**"])),
    "",
    "## Share of stored drafts passing each check",
    "",
    "In brackets: the model's first answer, before the writer's repair request or template fallback.",
    "",
    ...md(["check", ...r.providers.map((p) => p.provider)], checkRows(r)),
    "",
    "## Faults the misbehaving models planted",
    "",
    ...md(["fault (its check)", ...models.map((p) => p.provider)], faultRows(r)),
    "",
  ].join("\n");
}

export function writeEvalReport(dir: string, r: EvalReport): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "eval.json");
  const md = join(dir, "eval.md");
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, markdown(r));
  return { json, md };
}
