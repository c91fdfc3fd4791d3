/**
 * The contract cases against LocalBackend directly, on a temp SQLite file,
 * serving the 'test' data set with simulated deliveries as the REST server does.
 */
import { join } from "node:path";
import { openLocalRetivo } from "../../src/backend/local/open.js";
import { parseConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { openStore } from "../../src/store/index.js";
import { createWriter } from "../../src/writer/index.js";
import { defineContractCases } from "./cases.js";
import { fixturesFrom, tempDir } from "./harness.js";

defineContractCases("LocalBackend", async () => {
  const dir = tempDir();
  const config = parseConfig([], { RETIVO_DB: join(dir.path, "local.db"), RETIVO_LLM: "template", RETIVO_DATA_DIR: dir.path });
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
      dir.remove();
    },
  };
});
