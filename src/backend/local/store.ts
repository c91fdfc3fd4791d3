/**
 * Opening the SQLite file: private files (store-files.ts), WAL, foreign keys,
 * a busy timeout (the CLI and the server may hold the same file), and the
 * migrations. A file this process cannot write is refused at once, as a
 * StoreUnavailableError naming the file and the cause, and leaves behind none
 * of the sidecar files the attempt made.
 */
import { existsSync, rmSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";
import { preparePrivateStore, SIDECARS, tightenSidecars } from "./store-files.js";
import { storeFaultOf } from "./store-faults.js";

export type Db = Database.Database;

export function openStore(path: string): Db {
  if (path === ":memory:") return configure(new Database(path), path);
  try {
    preparePrivateStore(path);
  } catch (error) {
    throw storeFaultOf(error, path) ?? error;
  }
  // SQLite creates these with the database file's mode: left behind by a start that failed on a
  // read-only file, they would stay read-only after the operator fixes the file itself.
  const sidecars = SIDECARS.map((suffix) => `${path}${suffix}`).filter((file) => !existsSync(file));
  let db: Db | undefined;
  try {
    db = configure(new Database(path), path);
    probeWritable(db);
    return db;
  } catch (error) {
    closeQuietly(db);
    removeOwnSidecars(sidecars);
    throw storeFaultOf(error, path) ?? error;
  }
}

function configure(db: Db, path: string): Db {
  db.pragma("journal_mode = WAL");
  if (path !== ":memory:") tightenSidecars(path);
  // FULL: an acknowledged transition survives a power cut, not only a crash.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

/**
 * SQLite opens a file it may not write read-only without a word, and a store
 * that is up to date writes nothing while opening: rewrite the schema version
 * in a transaction that is rolled back, so a read-only file fails here, at
 * start, rather than on the first change an agent asks for.
 */
function probeWritable(db: Db): void {
  const version = schemaVersion(db);
  db.exec("BEGIN IMMEDIATE");
  try {
    db.pragma(`user_version = ${version}`);
  } finally {
    db.exec("ROLLBACK");
  }
}

function closeQuietly(db: Db | undefined): void {
  try {
    db?.close();
  } catch {
    // The open already failed; that error is the one to report.
  }
}

/** Removes the sidecars this attempt created, unless the write-ahead log holds data. */
function removeOwnSidecars(created: string[]): void {
  const wal = created.find((file) => file.endsWith("-wal"));
  if (wal && existsSync(wal) && statSync(wal).size > 0) return;
  for (const file of created) rmSync(file, { force: true });
}

export function schemaVersion(db: Db): number {
  return db.pragma("user_version", { simple: true }) as number;
}

function migrate(db: Db): void {
  const current = schemaVersion(db);
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The store at ${db.name} has schema version ${current}, newer than this retivo-mcp knows (${MIGRATIONS.length}). Upgrade retivo-mcp.`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement, compiled once per connection and SQL text. Hot paths
 * (every list, get and transition) would otherwise recompile the same SQL on
 * every call.
 */
export function prepared(db: Db, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (!cache) statementCache.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}
