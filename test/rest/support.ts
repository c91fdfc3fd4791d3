/**
 * A REST server on 127.0.0.1:0 over its own temp store, and a small fetch
 * helper that always answers status, headers and parsed body.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { startRestServer, type RestServer } from "../../src/rest/server.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf, type SqliteDb } from "../support/sqlite.js";

export const LIVE_KEY = "rt_live_restsuite00000000000live";
export const TEST_KEY = "rt_test_restsuite00000000000test";

export interface TestServer {
  server: RestServer;
  store: Store;
  /** The same store's SQLite file, for reading rows back directly. */
  db: SqliteDb;
  logs: () => string;
  call(method: string, path: string, options?: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{
    status: number;
    headers: Headers;
    body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever the server sent
  }>;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, options: { now?: () => Date } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "retivo-rest-"));
  const config = parseConfig(["api", "--port", "0", "--host", "127.0.0.1"], {
    RETIVO_DB: join(dir, "rest.db"),
    RETIVO_DATA_DIR: dir,
    RETIVO_LLM: "template",
    RETIVO_API_KEYS: `${LIVE_KEY},${TEST_KEY}`,
    ...env,
  });
  let logText = "";
  const logger = createLogger(
    "debug",
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logText += chunk.toString();
        done();
      },
    }),
  );
  const store = await openStore(config);
  const server = await startRestServer({ config, logger, store, startDispatcher: false, ...(options.now ? { now: options.now } : {}) });
  return {
    server,
    store,
    db: dbOf(store),
    logs: () => logText,
    async call(method, path, options = {}) {
      const key = options.key === undefined ? TEST_KEY : options.key;
      const headers: Record<string, string> = { ...options.headers };
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers["content-type"] = "application/json";
      }
      const response = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
