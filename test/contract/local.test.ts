/**
 * The contract cases against LocalBackend directly, on a temp SQLite file,
 * serving the 'test' data set with simulated deliveries as the REST server does.
 */
import { join } from "node:path";
import { LocalBackend } from "../../src/backend/local/index.js";
import { Dispatcher } from "../../src/backend/local/dispatch.js";
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { setCustomerConsent } from "../../src/backend/local/consent.js";
import { openStore } from "../../src/backend/local/store.js";
import { parseConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createWriter } from "../../src/writer/index.js";
import { defineContractCases } from "./cases.js";
import { fixturesFrom, tempDir } from "./harness.js";

defineContractCases("LocalBackend", async () => {
  const dir = tempDir();
  const config = parseConfig([], { RETIVO_DB: join(dir.path, "local.db"), RETIVO_LLM: "template", RETIVO_DATA_DIR: dir.path });
  const logger = silentLogger();
  const db = openStore(config.dbPath);
  ensureSeeded(db, "test", config.seed);
  const dispatcher = new Dispatcher({ db, logger, outboxDir: join(dir.path, "outbox"), tenants: ["test"], simulate: (t) => t === "test" });
  const backend = new LocalBackend({
    db,
    tenantId: "test",
    writer: createWriter(config.llm, logger),
    logger,
    onRolledBack: (i) => dispatcher.retract(i.id),
  });
  return {
    backend,
    fixtures: fixturesFrom(db, "test"),
    deliverDue: async () => {
      await dispatcher.runOnce();
    },
    optOut: (userId) => {
      setCustomerConsent(db, "test", userId, { opted_out: true });
    },
    async close() {
      await dispatcher.stop();
      await backend.close();
      db.close();
      dir.remove();
    },
  };
});
