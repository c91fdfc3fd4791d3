/**
 * The engines the store contract runs on, each able to open several engines
 * on one store (two processes, or two replicas, sharing it): SQLite on a temp
 * file, PostgreSQL through PGlite over a socket, and a real PostgreSQL server
 * when RETIVO_TEST_DATABASE_URL is set.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../../src/store/index.js";
import { openPostgresEngine, PostgresEngine } from "../../../src/store/postgres/index.js";
import type { Engine } from "../../../src/store/sql.js";
import { openSqliteEngine } from "../../../src/store/sqlite/engine.js";
import { storeOver } from "../../../src/store/store.js";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "./postgres.js";

export interface Opened {
  store: Store;
  engine: Engine;
}

export interface StoreUnderTest {
  /** The database URL (PostgreSQL only), for a case that opens an engine of its own settings. */
  url?: string;
  /** Opens one more engine on the same store (the first migrates it). */
  open(): Promise<Opened>;
  close(): Promise<void>;
}

export interface EngineKind {
  name: string;
  /** Why it does not run here, if it does not. */
  skip?: string;
  start(): Promise<StoreUnderTest>;
}

function tracked(start: () => Promise<{ openEngine: () => Promise<Engine>; cleanup: () => Promise<void>; url?: string }>): () => Promise<StoreUnderTest> {
  return async () => {
    const { openEngine, cleanup, url } = await start();
    const engines: Engine[] = [];
    return {
      url,
      async open() {
        const engine = await openEngine();
        engines.push(engine);
        return { engine, store: storeOver(engine) };
      },
      async close() {
        for (const engine of engines) await engine.close();
        await cleanup();
      },
    };
  };
}

function overPostgres(target: () => Promise<PostgresTarget>): () => Promise<StoreUnderTest> {
  return tracked(async () => {
    const pg = await target();
    await pg.reset();
    return { url: pg.url, openEngine: () => openPostgresEngine(pg.url, { poolSize: 5, statementTimeoutMs: 20_000 }), cleanup: () => pg.close() };
  });
}

export const ENGINE_KINDS: EngineKind[] = [
  {
    name: "SQLite (temp file)",
    start: tracked(async () => {
      const dir = mkdtempSync(join(tmpdir(), "retivo-store-"));
      const file = join(dir, "store.db");
      return { openEngine: async () => openSqliteEngine(file), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    }),
  },
  { name: "PostgreSQL (PGlite over a socket)", start: overPostgres(startPglite) },
  {
    name: "PostgreSQL (real server)",
    skip: REAL_SERVER_URL ? undefined : "RETIVO_TEST_DATABASE_URL is not set",
    start: overPostgres(() => startRealServer(REAL_SERVER_URL!)),
  },
];

/** The statements a PostgreSQL engine sent so far (BEGIN and COMMIT included); undefined on SQLite. */
export function roundTripsOf(engine: Engine): number | undefined {
  return engine instanceof PostgresEngine ? engine.roundTrips : undefined;
}
