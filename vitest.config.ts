import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Native SQLite handles and child processes behave best in forked workers.
    pool: "forks",
    // `npm test` runs with --coverage: the guard, argument validation, the guarded call, the status
    // machine and the action hash must stay covered, so no code lands there that no test runs
    // (mutation testing, `npm run mutate`, then says whether those tests would notice it breaking).
    coverage: {
      provider: "v8",
      include: ["src/guard/**/*.ts", "src/tools/arguments.ts", "src/tools/guarded-call.ts", "src/domain/status-machine.ts", "src/domain/action-hash.ts"],
      // The approvals, operators and audit commands count too: their in-process tests on a scripted
      // terminal (test/guard/cli-in-process.test.ts and its neighbours) run them in the test workers.
      exclude: ["src/guard/index.ts"],
      reporter: ["text-summary", ["text", { skipFull: true }]],
      // The floors are checked even when a test failed, so a red run still says what coverage it lost.
      reportOnFailure: true,
      // Floors measured on the guard's own tests (the whole suite covers at least as much); raise them as tests grow.
      thresholds: {
        "src/guard/**": { lines: 92, statements: 89, functions: 92, branches: 76 },
        "src/tools/**": { lines: 96, statements: 97, functions: 87, branches: 78 },
        "src/domain/**": { lines: 100, statements: 100, functions: 100, branches: 100 },
      },
    },
  },
});
