/**
 * The seam between the store's domain operations (store/ops/) and the two
 * engines (store/sqlite/, store/postgres/). Operations are written once, as
 * portable SQL with `?` placeholders, against a transaction handle; each
 * engine runs them in its own transactions. What differs between the engines
 * is stated here, as data: row locks for claims, named locks for
 * read-modify-write of one value, and the audit append done in the database.
 */

export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** Appended to a SELECT that claims rows other workers may claim at once ("" where one writer holds the store). */
  readonly skipLocked: string;
  /**
   * One statement that appends an audit row and links it into the chain
   * inside the database (head locked, hash computed there), given (at,
   * tenant_id, event, intervention_id, actor, detail); undefined where the
   * operation links it itself under the `audit_head` lock (SQLite).
   */
  readonly appendAudit?: string;
}

/** One transaction's (or one read's) access to the store. Only store/ops/ sees it. */
export interface Tx {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** `changes`: how many rows the statement wrote. */
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
  /**
   * Serialises, until this transaction ends, every transaction that takes the
   * same named lock (a counter's read-modify-write, the audit chain's head).
   * A no-op where a write transaction already excludes all others (SQLite).
   */
  lock(name: string): Promise<void>;
}

export interface Engine {
  readonly dialect: Dialect;
  /** Where the store lives, for messages: a file path, or a database URL without its password. */
  readonly location: string;
  /** Statements that need no common snapshot (most reads). */
  read<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * A read whose result may be reused while the store is unchanged (the hot
   * reads: a list page, one intervention). `key` names the read and all its
   * inputs. A reused result is shared, so callers never change one: the SQLite
   * engine hands it out frozen. An engine that cannot tell whether anything
   * changed (PostgreSQL, shared by replicas) simply reads.
   */
  readCached<T>(key: string, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** A read that must see one snapshot across several statements (verifying the audit chain). */
  snapshot<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** One atomic write: everything `work` does commits together or not at all. */
  write<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
