/**
 * `npm run demo` works: the built demo spawns the built server over stdio,
 * walks the whole triage session and exits 0. Runs the built files (the
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
    "What is flagged?",
    "→ get_intervention",
    "Decision for",
    "Created int_",
    "[human] accepts",
    "is approved: a human approved it (human:form",
    "is delivered",
    "is rolled_back: a human approved it (human:form",
    "approval_executed",
    "Done:",
  ]) {
    expect(run.stdout).toContain(milestone);
  }
});
