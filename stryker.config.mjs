// Mutation testing of the security-critical code (`npm run mutate`): the
// guard, argument validation, the guarded call, the status machine and the
// transition compare-and-set, and the writer's quality checks. Not part of
// `npm test` (it takes a long while); docs/mutation.md records the scores and
// every surviving mutant. One file at a time:
//   npm run mutate -- --mutate src/guard/human-answer.ts
// MUTATE_TESTS narrows the tests (vitest.mutate.config.ts); MUTATION_REPORT names the
// report (reports/mutation/<name>.json|html) and sandbox, so two runs can go side by side.
const report = process.env.MUTATION_REPORT ?? "mutation";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  // Only the tests that exercise these files (vitest.mutate.config.ts), and per test coverage,
  // so each mutant runs only the tests that reach it.
  vitest: { configFile: "vitest.mutate.config.ts", related: false },
  coverageAnalysis: "perTest",
  // The machine is shared: two sandboxes at most.
  concurrency: 2,
  mutate: [
    "src/guard/**/*.ts",
    "src/tools/arguments.ts",
    "src/tools/guarded-call.ts",
    "src/domain/status-machine.ts",
    "src/domain/action-hash.ts",
    "src/store/ops/changes.ts",
    "src/store/ops/approvals.ts",
    // compareAndSet, the guarded UPDATE every status change goes through.
    "src/store/ops/compare-and-set.ts",
    "src/writer/quality.ts",
    "src/writer/checks-common.ts",
    "src/writer/checks-brand.ts",
    "src/writer/checks-compliance.ts",
    "src/writer/text-scan.ts",
    "src/text/sanitize.ts",
  ],
  // Tests that spawn the built CLI (dist/) need it in the sandbox; they cannot see a mutant there,
  // which is why each has an in-process counterpart.
  ignorePatterns: [".stryker-tmp", "coverage", "reports", "bench/results", ".scratch", "test-output", "*.mcpb"],
  // Real sockets, scrypt and a real store per test: generous, so slowness on a busy machine is not read as a kill.
  timeoutMS: 30_000,
  timeoutFactor: 2,
  reporters: ["clear-text", "progress", "json", "html"],
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  jsonReporter: { fileName: `reports/mutation/${report}.json` },
  htmlReporter: { fileName: `reports/mutation/${report}.html` },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: `.stryker-tmp/${report}`,
  // Stryker's default also stamps "// @ts-nocheck" on .html files, which would break the approval page's
  // reviewed HTML snapshots (test/guard/__snapshots__/page-html/); only our TypeScript sources need it.
  disableTypeChecks: "src/**/*.ts",
  cleanTempDir: "always",
};
