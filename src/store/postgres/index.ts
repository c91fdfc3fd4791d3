/**
 * The PostgreSQL store (RETIVO_DATABASE_URL): the engine over a pool, its
 * schema brought up to date at open. An unreachable server, refused
 * credentials or a missing database fail the open with one line naming the
 * database, never later on the first call.
 */
import type { Store } from "../port.js";
import { storeOver } from "../store.js";
import { PostgresEngine, type PostgresOptions } from "./engine.js";
import { databaseGuardOver } from "./database-guard.js";
import { migrate } from "./migrate.js";

export { PostgresEngine, locationOf, type PostgresOptions } from "./engine.js";

export const DEFAULT_POSTGRES_OPTIONS: PostgresOptions = { poolSize: 10, statementTimeoutMs: 30_000 };

/** The engine, connected and migrated (closed again if either fails). */
export async function openPostgresEngine(url: string, options: PostgresOptions = DEFAULT_POSTGRES_OPTIONS): Promise<PostgresEngine> {
  const engine = new PostgresEngine(url, options);
  try {
    await engine.withClient((client) => migrate(client, engine.location));
    return engine;
  } catch (error) {
    await engine.close();
    throw error;
  }
}

/** The port over a PostgreSQL engine: the common operations and the database's own guard. */
export function postgresStoreOver(engine: PostgresEngine): Store {
  return { ...storeOver(engine), databaseGuard: databaseGuardOver(engine) };
}

const engines = new WeakMap<Store, PostgresEngine>();

export async function openPostgresStore(url: string, options?: PostgresOptions): Promise<Store> {
  const engine = await openPostgresEngine(url, options);
  const store = postgresStoreOver(engine);
  engines.set(store, engine);
  return store;
}

/** How many round trips a PostgreSQL store has made so far (for the benchmark's per-call counts); undefined for any other store. */
export function roundTripsOf(store: Store): number | undefined {
  return engines.get(store)?.roundTrips;
}
