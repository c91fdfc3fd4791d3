/**
 * `npm run demo` works: the built demo spawns the built server over stdio,
 * walks the whole triage session and exits 0, showing what a person needs to
 * follow it: only actionable flagged rows, the dry-run's playbook and rules,
 * and the message with its checks before the scripted human approves it. Runs the built files (the
 * suite's pretest builds them), as a newcomer would.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DEMO = fileURLToPath(new URL("../../dist/cli-demo.js", import.meta.url));

it("runs the scripted triage session end to end and exits 0", { timeout: 90_000 }, () => {
  expect(existsSync(DEMO), "build first: npm run build").toBe(true);
  // Only what a fresh shell would have: the demo must not depend on this machine's RETIVO_* settings.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, RETIVO_API_KEY: "" };
  const run = spawnSync(process.execPath, [DEMO], { cwd: ROOT, env, encoding: "utf8", timeout: 80_000 });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  for (const milestone of [
    "What is flagged and still waiting for a decision?",
    "→ get_intervention",
    "Decision for",
    "Rules held: ",
    "Created int_",
    "Read what would be sent, and its quality checks, before anyone approves it",
    "[human] accepts",
    "is approved: approved by form:retivo-demo",
    "is delivered",
    "is rolled_back: approved by form:retivo-demo",
    "approval_executed",
    "Done:",
  ]) {
    expect(run.stdout).toContain(milestone);
  }
  // The flagged step lists only what a human can still act on.
  const flaggedStep = run.stdout.slice(run.stdout.indexOf("What is flagged"), run.stdout.indexOf("Explain one of them"));
  const rows = flaggedStep.split("\n").filter((line) => /^ {3}int_\w+ /.test(line));
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(row).toMatch(/^ {3}int_\w+ planned \S+ \S+ \[FLAGGED/);
  // The dry-run names its playbook.
  expect(run.stdout).toMatch(/Decision for \S+: intervene via \S+, playbook "[^"]+" \(/);
  // The created message and its checks are shown before the scripted human approves it.
  const created = /Created (int_\w+)/.exec(run.stdout)![1]!;
  const shown = run.stdout.indexOf(`${created} planned`, run.stdout.indexOf("Read what would be sent"));
  expect(shown).toBeGreaterThan(0);
  expect(run.stdout.indexOf("message_body (model-written data)", shown)).toBeLessThan(run.stdout.indexOf("[human] accepts"));
  expect(run.stdout.indexOf("quality checks", shown)).toBeLessThan(run.stdout.indexOf("[human] accepts"));
});
