/**
 * The backend contract cases (test/contract/cases.ts) on LocalBackend over the
 * PostgreSQL engine: through PGlite over a socket always, and on a real
 * server when RETIVO_TEST_DATABASE_URL is set (contract.test.ts says how once).
 * The same wiring as test/contract/local.test.ts, with a database URL instead
 * of a file.
 */
import { describe, vi } from "vitest";
import { defineContractCases } from "../contract/cases.js";
import { localContractHarness, type ContractHarness } from "../contract/harness.js";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "./support/postgres.js";

// PGlite compiles its WebAssembly on start: on a busy machine that alone can pass the default hook timeout.
vi.setConfig({ hookTimeout: 120_000 });

function harnessOn(target: () => Promise<PostgresTarget>): () => Promise<ContractHarness> {
  return async () => {
    const database = await target();
    return localContractHarness(() => ({ RETIVO_DATABASE_URL: database.url }), () => database.close());
  };
}

defineContractCases("LocalBackend on PostgreSQL (PGlite over a socket)", harnessOn(startPglite));

describe.skipIf(!REAL_SERVER_URL)("on a real PostgreSQL server", () => {
  defineContractCases("LocalBackend on PostgreSQL (real server)", harnessOn(() => startRealServer(REAL_SERVER_URL!)));
});
