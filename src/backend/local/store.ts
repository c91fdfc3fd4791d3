/**
 * Opening the SQLite file: private files (store-files.ts), WAL, foreign keys,
 * a busy timeout (the CLI and the server may hold the same file), and the
 * migrations.
 */
import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";
import { preparePrivateStore, tightenSidecars } from "./store-files.js";

export type Db = Database.Database;

export function openStore(path: string): Db {
  if (path !== ":memory:") preparePrivateStore(path);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  if (path !== ":memory:") tightenSidecars(path);
  // FULL: an acknowledged transition survives a power cut, not only a crash.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
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
