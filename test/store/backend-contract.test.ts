/**
 * The backend contract cases (test/contract/cases.ts) on LocalBackend over the
 * PostgreSQL engine: through PGlite over a socket always, and on a real
 * server when RETIVO_TEST_DATABASE_URL is set (contract.test.ts says how once).
 * The same wiring as test/contract/local.test.ts, with a database URL instead
 * of a file.
 */
import { join } from "node:path";
import { describe, vi } from "vitest";
import { openLocalRetivo } from "../../src/backend/local/open.js";
import { parseConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { openStore } from "../../src/store/index.js";
import { createWriter } from "../../src/writer/index.js";
import { defineContractCases } from "../contract/cases.js";
import { fixturesFrom, tempDir } from "../contract/harness.js";
import type { ContractHarness } from "../contract/harness.js";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "./support/postgres.js";

// PGlite compiles its WebAssembly on start: on a busy machine that alone can pass the default hook timeout.
vi.setConfig({ hookTimeout: 120_000 });

function harnessOn(target: () => Promise<PostgresTarget>): () => Promise<ContractHarness> {
  return async () => {
    const database = await target();
    const dir = tempDir();
    const config = parseConfig([], { RETIVO_DATABASE_URL: database.url, RETIVO_LLM: "template", RETIVO_DATA_DIR: dir.path });
    const logger = silentLogger();
    const store = await openStore(config);
    const { backends, dispatcher } = await openLocalRetivo({
      store,
      tenants: ["test"],
      seed: config.seed,
      writer: createWriter(config.llm, logger),
      logger,
      outboxDir: join(dir.path, "outbox"),
      simulate: (t) => t === "test",
    });
    const backend = backends.get("test")!;
    return {
      backend,
      fixtures: await fixturesFrom(store, "test"),
      deliverDue: async () => {
        await dispatcher.runOnce();
      },
      optOut: async (userId) => {
        await store.catalog.setCustomerConsent("test", userId, { opted_out: true }, new Date());
      },
      async close() {
        await dispatcher.stop();
        await backend.close();
        await store.close();
        await database.close();
        dir.remove();
      },
    };
  };
}

defineContractCases("LocalBackend on PostgreSQL (PGlite over a socket)", harnessOn(startPglite));

describe.skipIf(!REAL_SERVER_URL)("on a real PostgreSQL server", () => {
  defineContractCases("LocalBackend on PostgreSQL (real server)", harnessOn(() => startRealServer(REAL_SERVER_URL!)));
});
