/**
 * The embedded engine: one SQLite file through better-sqlite3, zero setup.
 * Private files (files.ts), WAL, foreign keys, a busy timeout (the CLI and the
 * server may hold the same file), the migrations, and a write probe: a file
 * this process cannot write is refused at once, as a StoreUnavailableError
 * naming the file and the cause, leaving behind none of the sidecar files the
 * attempt made.
 *
 * better-sqlite3 is synchronous and one connection serves the whole process,
 * so the engine runs one operation at a time (an async mutex): an operation's
 * statements never interleave with another's, and a write transaction
 * (BEGIN IMMEDIATE) also excludes other processes on the file. Engines on the
 * same file in one process share that mutex: SQLite waits for a lock by
 * blocking the thread, so a second connection asking for the write lock while
 * the first holds it across an await would block the only thread that could
 * release it.
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import type { Dialect, Engine, Tx } from "../sql.js";
import { storeFaultOf } from "./faults.js";
import { preparePrivateStore, SIDECARS, tightenSidecars } from "./files.js";
import { MIGRATIONS } from "./migrations.js";
import { ReadCache } from "./read-cache.js";

export type SqliteDb = Database.Database;

const DIALECT: Dialect = { name: "sqlite", skipLocked: "" };

/** One operation queue per file in this process (see above); `:memory:` databases are each their own. */
interface Queue {
  tail: Promise<unknown>;
}
const QUEUES = new Map<string, Queue>();

function queueFor(location: string): Queue {
  if (location === ":memory:") return { tail: Promise.resolve() };
  const key = resolve(location);
  let queue = QUEUES.get(key);
  if (!queue) QUEUES.set(key, (queue = { tail: Promise.resolve() }));
  return queue;
}

export function openSqliteEngine(path: string): SqliteEngine {
  if (path === ":memory:") return new SqliteEngine(configure(new Database(path), path), path);
  try {
    preparePrivateStore(path);
  } catch (error) {
    throw storeFaultOf(error, path) ?? error;
  }
  // SQLite creates these with the database file's mode: left behind by a start that failed on a
  // read-only file, they would stay read-only after the operator fixes the file itself.
  const sidecars = SIDECARS.map((suffix) => `${path}${suffix}`).filter((file) => !existsSync(file));
  let db: SqliteDb | undefined;
  try {
    db = configure(new Database(path), path);
    probeWritable(db);
    return new SqliteEngine(db, path);
  } catch (error) {
    closeQuietly(db);
    removeOwnSidecars(sidecars);
    throw storeFaultOf(error, path) ?? error;
  }
}

/**
 * A compiled statement, and for one that returns rows the function that
 * names a row's values. Rows are read as arrays and named here because
 * better-sqlite3 builds each row object through V8's API one property at a
 * time, which costs more than SQLite reading the row (a 20-row list page:
 * 72 µs as objects, 44 µs as named arrays), and leaves a row of more than a
 * dozen columns (every `SELECT *` of an intervention) a slow dictionary.
 */
interface Prepared {
  statement: Database.Statement;
  rowOf: ((values: readonly unknown[]) => Record<string, unknown>) | undefined;
}

/** Beyond this many distinct SQL texts the oldest compiled statement is dropped (texts that embed a page size vary). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * One object literal per statement, so every row of it shares one compact
 * shape. The names are SQLite's own column names for SQL written in this
 * repository, each quoted as a JSON string literal: no name can become code.
 */
function rowFactory(columns: readonly string[]): (values: readonly unknown[]) => Record<string, unknown> {
  // In an object literal this key would set the prototype instead of a field.
  if (columns.includes("__proto__")) throw new Error("a column named __proto__ cannot be read as a row");
  const fields = columns.map((name, i) => `${JSON.stringify(name)}: values[${i}]`).join(", ");
  return new Function("values", `return { ${fields} };`) as (values: readonly unknown[]) => Record<string, unknown>;
}

export class SqliteEngine implements Engine {
  readonly dialect = DIALECT;
  private readonly statements = new Map<string, Prepared>();
  private readonly queue: Queue;
  private readonly tx: Tx;
  private readonly cache: ReadCache;

  constructor(
    /**
     * The connection itself: for this engine's own modules, and for tests and benchmarks that set a file up.
     * Rows written through it are seen by the read cache; a schema change through it after the first read is not.
     */
    readonly db: SqliteDb,
    readonly location: string,
  ) {
    this.queue = queueFor(location);
    this.cache = new ReadCache(db);
    this.tx = {
      dialect: DIALECT,
      all: async <T>(sql: string, params: readonly unknown[] = []) => this.all(sql, params) as T[],
      get: async <T>(sql: string, params: readonly unknown[] = []) => this.get(sql, params) as T | undefined,
      run: async (sql: string, params: readonly unknown[] = []) => ({ changes: this.prepared(sql).statement.run(...params).changes }),
      // A write transaction here is BEGIN IMMEDIATE: it already excludes every other writer.
      lock: async () => undefined,
    };
  }

  read<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.exclusive(() => work(this.tx));
  }

  readCached<T>(key: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.exclusive(() => this.cache.through(key, () => work(this.tx)));
  }

  snapshot<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.exclusive(() => this.inTransaction("BEGIN", work));
  }

  write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.exclusive(() => this.inTransaction("BEGIN IMMEDIATE", work));
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      if (this.db.open) this.db.close();
    });
  }

  private async inTransaction<T>(begin: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    this.db.exec(begin);
    try {
      const result = await work(this.tx);
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw storeFaultOf(error, this.location) ?? error;
    }
  }

  /** One operation at a time on this connection; a failed one does not stop the next. */
  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.tail.then(run, run);
    this.queue.tail = next.catch(() => undefined);
    return next.catch((error: unknown) => {
      throw storeFaultOf(error, this.location) ?? error;
    });
  }

  private all(sql: string, params: readonly unknown[]): unknown[] {
    const { statement, rowOf } = this.prepared(sql);
    if (!rowOf) return statement.all(...params);
    const rows = statement.all(...params) as unknown[][];
    const out = new Array<Record<string, unknown>>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = rowOf(rows[i]!);
    return out;
  }

  private get(sql: string, params: readonly unknown[]): unknown {
    const { statement, rowOf } = this.prepared(sql);
    if (!rowOf) return statement.get(...params);
    const values = statement.get(...params) as unknown[] | undefined;
    return values && rowOf(values);
  }

  /** Compiled once per SQL text: hot paths (every list, get and transition) would otherwise recompile. */
  private prepared(sql: string): Prepared {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
      const statement = this.db.prepare(sql);
      // Statements that return no rows keep better-sqlite3's own handling (it refuses all/get on them).
      const rowOf = statement.reader ? rowFactory(statement.columns().map((column) => column.name)) : undefined;
      if (rowOf) statement.raw(true);
      this.statements.set(sql, (prepared = { statement, rowOf }));
    }
    return prepared;
  }
}

function configure(db: SqliteDb, path: string): SqliteDb {
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
function probeWritable(db: SqliteDb): void {
  const version = schemaVersion(db);
  db.exec("BEGIN IMMEDIATE");
  try {
    db.pragma(`user_version = ${version}`);
  } finally {
    db.exec("ROLLBACK");
  }
}

function closeQuietly(db: SqliteDb | undefined): void {
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

export function schemaVersion(db: SqliteDb): number {
  return db.pragma("user_version", { simple: true }) as number;
}

function migrate(db: SqliteDb): void {
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
