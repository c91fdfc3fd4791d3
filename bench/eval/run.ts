/**
 * `npm run eval`: every persona × playbook × channel case through every
 * provider available (the template always; a real OpenAI-compatible model
 * when OPENAI_API_KEY or OPENAI_BASE_URL is set; the misbehaving loopback
 * models always), scored by the writer's own quality checks. Prints the
 * tables and targets and writes bench/results/eval.{json,md}. Exits 1 when a
 * target is missed. Loopback only, unless the environment names a model.
 */
import { fileURLToPath } from "node:url";
import { evalCases } from "./cases.js";
import { realOpenAiProvider, templateProvider, weakOpenAiProvider, weakSamplingProvider, type EvalProvider, type Written } from "./providers.js";
import { terminalReport, writeEvalReport, type EvalReport } from "./report.js";
import { judge, scoreProvider } from "./score.js";

const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));

async function main(): Promise<void> {
  const cases = await evalCases();
  const providers: EvalProvider[] = [templateProvider()];
  const real = realOpenAiProvider(process.env);
  if (real) providers.push(real);
  providers.push(
    await weakOpenAiProvider("weak-openai (repairs)", {}),
    await weakOpenAiProvider("weak-openai (stubborn)", { stubborn: true }),
    await weakSamplingProvider("weak-sampling (stubborn)", { stubborn: true }),
  );
  const scores = [];
  try {
    for (const provider of providers) {
      const written: Written[] = [];
      for (const [index, c] of cases.entries()) written.push(await provider.write(c, index));
      scores.push(scoreProvider(provider, cases, written));
    }
  } finally {
    await Promise.all(providers.map((p) => p.close()));
  }
  const report: EvalReport = {
    date: new Date().toISOString(),
    node: process.version,
    cases: cases.length,
    personas: new Set(cases.map((c) => c.persona.key)).size,
    playbook_channels: new Set(cases.map((c) => `${c.playbook}/${c.channel}`)).size,
    checks_module: "src/writer/quality.ts (runQualityChecks, via writeChecked and checkAnswer)",
    providers: scores,
    targets: judge(scores),
  };
  const files = writeEvalReport(RESULTS, report);
  process.stdout.write(`${terminalReport(report)}\n\nWrote ${files.json} and ${files.md}\n`);
  if (report.targets.some((t) => !t.pass)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`eval failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
