/**
 * The stores the in-process guard cases run on: the SQLite file (the
 * harness's default), PostgreSQL in this process (PGlite over a loopback
 * socket, no server needed), and a real PostgreSQL server when
 * RETIVO_TEST_DATABASE_URL is set. A PostgreSQL store is one per describe,
 * emptied before each case; the harness's runtime migrates and seeds it as it
 * would a fresh file.
 */
import type { Env } from "../../src/config.js";
import { HOW_TO_RUN_REAL, REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "../store/support/postgres.js";

export interface GuardEngine {
  name: string;
  /** Why it does not run here, if it does not. */
  skip?: string;
  /** Starts the store (PGlite, or a database on the server) ahead of the cases: in a beforeAll, whose time it takes. */
  start(): Promise<void>;
  /** The environment for one case's harness (a fresh, empty store). */
  freshEnv(): Promise<Env>;
  close(): Promise<void>;
}

function overPostgres(name: string, start: () => Promise<PostgresTarget>, skip?: string): () => GuardEngine {
  return () => {
    let target: PostgresTarget | undefined;
    return {
      name,
      skip,
      async start() {
        target ??= await start();
      },
      async freshEnv() {
        target ??= await start();
        await target.reset();
        return { RETIVO_DATABASE_URL: target.url };
      },
      async close() {
        await target?.close();
        target = undefined;
      },
    };
  };
}

/** One GuardEngine factory per store kind: call it in a describe, close it after. */
export const GUARD_ENGINES: Array<() => GuardEngine> = [
  () => ({ name: "SQLite", start: async () => undefined, freshEnv: async () => ({}), close: async () => undefined }),
  overPostgres("PostgreSQL (PGlite over a socket)", startPglite),
  overPostgres("PostgreSQL (real server)", () => startRealServer(REAL_SERVER_URL!), REAL_SERVER_URL ? undefined : HOW_TO_RUN_REAL),
];
