/**
 * Lost create answers for `npm run bench -- reliability`: the HTTP backend
 * creates through a proxy that loses the answer to every other POST (after the
 * local REST server acted on it), and an agent that follows the error's hint
 * retries the same create. Run once with the Idempotency-Key reaching the
 * server and once with the proxy stripping it (an upstream that ignores it).
 * Counts interventions created beyond the ones meant: target 0.
 */
import { join } from "node:path";
import { HttpBackend } from "../../src/backend/http.js";
import { openStore, sqliteDbOf } from "../../src/store/index.js";
import { parseConfig } from "../../src/config.js";
import { RetivoError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { startRestServer } from "../../src/rest/server.js";
import { fixturesFrom } from "../../test/contract/harness.js";
import { startFaultProxy } from "../../test/http-backend/fault-proxy.js";
import { tempDir } from "../lib/fixture.js";

const KEY = "rt_test_benchlostcreates000000000";

export interface CreateCounts {
  variant: string;
  meant: number;
  answersLost: number;
  retries: number;
  created: number;
  /** Created beyond the ones meant. Target 0. */
  duplicates: number;
  /** Meant creates that never succeeded after 3 tries. */
  gaveUp: number;
}

export async function lostCreates(meant: number, stripKey: boolean): Promise<CreateCounts> {
  const fixture = tempDir("creates");
  const config = parseConfig(["api", "--port", "0", "--host", "127.0.0.1"], {
    RETIVO_DB: join(fixture.dir, "rest.db"),
    RETIVO_LLM: "template",
    RETIVO_DATA_DIR: fixture.dir,
    RETIVO_API_KEYS: KEY,
    RETIVO_API_RATE_PER_MINUTE: "100000000",
  });
  const store = await openStore(config);
  const db = sqliteDbOf(store)!;
  const rest = await startRestServer({ config, logger: silentLogger(), store, startDispatcher: false });
  const proxy = await startFaultProxy(rest.url);
  proxy.stripIdempotencyKey(stripKey);
  const backend = new HttpBackend({ apiUrl: proxy.url, apiKey: KEY, logger: silentLogger(), timeoutMs: 5000 });
  const { playbookId, channel } = await fixturesFrom(store, "test");
  const users = db.prepare("SELECT id FROM customers WHERE tenant_id = 'test' AND opted_out = 0 AND paused = 0 ORDER BY id").pluck().all() as string[];
  const count = () => db.prepare("SELECT COUNT(*) FROM interventions WHERE tenant_id = 'test'").pluck().get() as number;
  const counts: CreateCounts = { variant: stripKey ? "upstream ignores Idempotency-Key" : "Idempotency-Key honoured", meant, answersLost: 0, retries: 0, created: 0, duplicates: 0, gaveUp: 0 };
  const before = count();
  try {
    for (let i = 0; i < meant; i++) {
      const request = { user_id: users[i % users.length]!, playbook_id: playbookId, channel };
      if (i % 2 === 0) proxy.loseAnswers("POST", 1);
      let done = false;
      for (let attempt = 0; attempt < 3 && !done; attempt++) {
        if (attempt > 0) counts.retries++;
        try {
          await backend.create(request);
          done = true;
        } catch (error) {
          if (!(error instanceof RetivoError && /may have happened/.test(error.message))) throw error;
          counts.answersLost++;
        }
      }
      if (!done) counts.gaveUp++;
    }
    counts.created = count() - before;
    counts.duplicates = counts.created - (meant - counts.gaveUp);
  } finally {
    await backend.close();
    await proxy.close();
    await rest.close();
    await store.close();
    fixture.dispose();
  }
  return counts;
}
