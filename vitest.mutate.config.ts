/**
 * The test files that exercise the security-critical sources Stryker mutates
 * (stryker.config.mjs): the guard, the tools' argument and guarded-call path,
 * the status machine and compare-and-set, the writer checks. Stryker runs only
 * these, so a mutation run takes minutes per file rather than the whole suite
 * per mutant. Tests that only drive the built CLI or a browser are left out:
 * they run dist/, which holds no mutant.
 *
 * MUTATE_TESTS (comma-separated globs) narrows the set for a run on one
 * group of files, e.g. the writer checks against the writer tests only:
 *   MUTATE_TESTS=test/writer/quality.test.ts npm run mutate -- --mutate src/writer/text-scan.ts
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

const RELEVANT = [
  "test/guard/*.test.ts",
  "test/store/*.test.ts",
  "test/domain/*.test.ts",
  "test/server/tools.test.ts",
  "test/server/arguments.test.ts",
  "test/server/argument-messages.test.ts",
  "test/server/consent.test.ts",
  "test/server/surface.test.ts",
  "test/server/injection.test.ts",
  "test/writer/quality.test.ts",
  "test/writer/compliance-checks.test.ts",
  "test/writer/text-scan.test.ts",
  "test/writer/check-verdicts.test.ts",
  "test/writer/check-edges.test.ts",
  "test/writer/text-scan-vectors.test.ts",
  "test/contract/local.test.ts",
  "test/text/*.test.ts",
];
const chosen = process.env.MUTATE_TESTS?.split(",")
  .map((glob) => glob.trim())
  .filter(Boolean);

// Not mergeConfig: it would append this list to the whole suite's include.
export default defineConfig({
  test: {
    ...base.test,
    include: chosen?.length ? chosen : RELEVANT,
    exclude: ["test/guard/terminal.test.ts", "test/guard/terminal-layout.test.ts", "test/guard/audit-cli.test.ts", "test/guard/page-browser.test.ts"],
  },
});
