/**
 * For tests that arrange or inspect the SQLite file directly, beneath the
 * store port: a fault injected into a row, a status read back without any
 * tool. Production code never reaches past the port.
 */
import type { Runtime } from "../../src/runtime.js";
import { sqliteDbOf, sqliteEngineOf, type Store } from "../../src/store/index.js";
import type { Tx } from "../../src/store/sql.js";
import type { SqliteDb } from "../../src/store/sqlite/engine.js";

export type { SqliteDb } from "../../src/store/sqlite/engine.js";

/** The SQLite connection behind a runtime's (or a store's) file; fails the test on PostgreSQL. */
export function dbOf(target: Runtime | Store | { store: Store }): SqliteDb {
  const store = "interventions" in target ? target : target.store;
  const db = sqliteDbOf(store);
  if (!db) throw new Error("this test reads the SQLite file directly; it has no meaning on PostgreSQL");
  return db;
}

/** Runs store operations (store/ops/) in one write transaction of a SQLite store: arranging rows no tool would write. */
export function inWriteTx<T>(store: Store, work: (tx: Tx) => Promise<T>): Promise<T> {
  const engine = sqliteEngineOf(store);
  if (!engine) throw new Error("this test arranges the SQLite file directly; it has no meaning on PostgreSQL");
  return engine.write(work);
}

/** Store operations over a bare connection (one opened read-only, say), statement by statement, outside any transaction. */
export function txOver(db: SqliteDb): Tx {
  return {
    dialect: { name: "sqlite", skipLocked: "" },
    all: async <T>(sql: string, params: readonly unknown[] = []) => db.prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) => db.prepare(sql).get(...params) as T | undefined,
    run: async (sql: string, params: readonly unknown[] = []) => ({ changes: db.prepare(sql).run(...params).changes }),
    lock: async () => undefined,
  };
}
