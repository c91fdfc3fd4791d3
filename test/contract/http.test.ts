/**
 * The contract cases against HttpBackend talking over real HTTP (127.0.0.1,
 * port 0) to the REST server of `retivo-mcp api`, with a test key and its own
 * temp store.
 */
import { join } from "node:path";
import { HttpBackend } from "../../src/backend/http.js";
import { parseConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { startRestServer } from "../../src/rest/server.js";
import { openStore } from "../../src/store/index.js";
import { defineContractCases } from "./cases.js";
import { fixturesFrom, tempDir } from "./harness.js";

const KEY = "rt_test_contract0000000000000000";

defineContractCases("HttpBackend over the REST server", async () => {
  const dir = tempDir();
  const config = parseConfig(["api", "--port", "0", "--host", "127.0.0.1"], {
    RETIVO_DB: join(dir.path, "rest.db"),
    RETIVO_LLM: "template",
    RETIVO_DATA_DIR: dir.path,
    RETIVO_API_KEYS: KEY,
    RETIVO_API_RATE_PER_MINUTE: "100000",
  });
  const logger = silentLogger();
  const store = await openStore(config);
  const server = await startRestServer({ config, logger, store, startDispatcher: false });
  const backend = new HttpBackend({ apiUrl: server.url, apiKey: KEY, logger, timeoutMs: 10_000 });
  return {
    backend,
    fixtures: await fixturesFrom(store, "test"),
    deliverDue: async () => {
      await server.dispatcher.runOnce();
    },
    optOut: async (userId) => {
      await store.catalog.setCustomerConsent("test", userId, { opted_out: true }, new Date());
    },
    async close() {
      await backend.close();
      await server.close();
      await store.close();
      dir.remove();
    },
  };
});
