/**
 * The results of the hottest reads (a list page, one intervention) kept for
 * as long as the database file is unchanged, so an agent that asks again
 * before anything moved is answered from memory.
 *
 * "Unchanged" is SQLite's own account, read in one statement before every
 * cached read: `total_changes()` counts the rows this connection wrote,
 * `data_version` moves when any other connection (another process: the CLI,
 * a second server, `retivo-mcp api`) commits, and `schema_version` moves on
 * any change of the schema. That statement touches the file, so a file that
 * has become unreadable still fails the read as before. A cached result is
 * frozen: callers share it, and one that tried to change it would throw.
 */
import type Database from "better-sqlite3";

/**
 * Enough for the filters and pages an agent moves between and the interventions it is looking at,
 * while the worst case stays small (64 pages of 500 compact rows: a few MB).
 */
const CAPACITY = 64;

const STAMP_SQL = "SELECT total_changes() || ':' || d.data_version || ':' || s.schema_version FROM pragma_data_version AS d, pragma_schema_version AS s";

export class ReadCache {
  private stamp: string | undefined;
  private readonly entries = new Map<string, unknown>();
  private readonly stampStatement;

  constructor(db: Database.Database) {
    this.stampStatement = db.prepare(STAMP_SQL).pluck();
  }

  /** The cached result for `key`, read afresh by `work` when the store has changed or the key is new. Runs inside the engine's one-at-a-time queue. */
  async through<T>(key: string, work: () => Promise<T>): Promise<T> {
    const stamp = this.stampStatement.get() as string;
    if (stamp !== this.stamp) {
      this.entries.clear();
      this.stamp = stamp;
    }
    if (this.entries.has(key)) {
      const hit = this.entries.get(key) as T;
      // Most recently used last, so the oldest goes first when the cache is full.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = await work();
    if (value === undefined) return value;
    if (this.entries.size >= CAPACITY) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, deepFreeze(value));
    return value;
  }
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
