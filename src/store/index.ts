/**
 * Opening the store: the embedded SQLite file (the default, zero setup), or a
 * PostgreSQL database (RETIVO_DATABASE_URL) for several processes or machines
 * sharing one store. Callers get the port (port.ts) and never see the engine.
 */
import { StoreUnavailableError } from "../errors.js";
import { openSqliteEngine, SqliteEngine, type SqliteDb } from "./sqlite/engine.js";
import { storeFaultOf as sqliteFaultOf } from "./sqlite/faults.js";
import { exposureWarning } from "./sqlite/files.js";
import type { Store } from "./port.js";
import { storeOver } from "./store.js";

export type * from "./port.js";

export interface StoreLocation {
  /** The SQLite file (`:memory:` allowed), used when no database URL is given. */
  dbPath: string;
  /** postgres://… selects the PostgreSQL engine. */
  databaseUrl?: string;
  /** The PostgreSQL pool's size and statement timeout (config.ts defaults apply when absent). */
  databasePoolSize?: number;
  databaseStatementTimeoutMs?: number;
}

const engines = new WeakMap<Store, SqliteEngine>();

export async function openStore(location: StoreLocation): Promise<Store> {
  if (location.databaseUrl) {
    // Loaded only when asked for: the embedded path never pays for `pg`.
    const { openPostgresStore, DEFAULT_POSTGRES_OPTIONS } = await import("./postgres/index.js");
    return openPostgresStore(location.databaseUrl, {
      poolSize: location.databasePoolSize ?? DEFAULT_POSTGRES_OPTIONS.poolSize,
      statementTimeoutMs: location.databaseStatementTimeoutMs ?? DEFAULT_POSTGRES_OPTIONS.statementTimeoutMs,
    });
  }
  const engine = openSqliteEngine(location.dbPath);
  const store = storeOver(engine);
  engines.set(store, engine);
  return store;
}

/**
 * A StoreUnavailableError (one line naming the store and the cause) for a
 * fault the operator must fix, else undefined: everything else is a bug.
 */
export function storeFaultOf(error: unknown, location: StoreLocation): StoreUnavailableError | undefined {
  if (location.databaseUrl) return error instanceof StoreUnavailableError ? error : undefined;
  return sqliteFaultOf(error, location.dbPath);
}

/** A warning for the operator when other users of this machine can read the store; undefined when it is private (or a server). */
export function exposureWarningOf(location: StoreLocation): string | undefined {
  return location.databaseUrl ? undefined : exposureWarning(location.dbPath);
}

/**
 * The SQLite engine behind a store opened on a file: for tests and benchmarks
 * that arrange or inspect the file directly. Undefined for PostgreSQL.
 * Production code never reaches past the port.
 */
export function sqliteEngineOf(store: Store): SqliteEngine | undefined {
  return engines.get(store);
}

export function sqliteDbOf(store: Store): SqliteDb | undefined {
  return engines.get(store)?.db;
}

export { factsOf, isExpired, isOpen } from "./ops/approvals.js";
export { composedFlagReason, newInterventionId, toIntervention } from "./ops/interventions.js";
export { newDeliveryId } from "./ops/deliveries.js";
export { retractionKey } from "./ops/dispatch-claims.js";
export { requestHashOf } from "./ops/idempotency.js";
export { notFound } from "./ops/changes.js";
