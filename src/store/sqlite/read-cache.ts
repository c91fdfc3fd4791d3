/**
 * The results of the hottest reads (a list page, one intervention) kept for
 * as long as the database file is unchanged, so an agent that asks again
 * before anything moved is answered from memory.
 *
 * "Unchanged" is SQLite's own account, read before every cached read:
 * `total_changes()` counts the rows this connection wrote (through the port
 * or beneath it), and `data_version` moves when any other connection
 * (another process: the CLI, a second server, `retivo-mcp api`) commits,
 * schema changes included. This connection's own schema changes are the
 * migrations, which run before its first read. `data_version` reads the
 * file's shared state, so a file that has become unreadable still fails the
 * read as before. A cached result is frozen: callers share it, and one that
 * tried to change it would throw.
 *
 * The check costs about 3.6 µs (`data_version` 3.5, `total_changes()` 0.1;
 * `schema_version` as well would add 2.8), against about 8 µs for reading
 * one intervention's row and 40 µs for a default list page.
 */
import type Database from "better-sqlite3";

/**
 * Enough for the filters and pages an agent moves between and the interventions it is looking at,
 * while the worst case stays small (64 pages of 500 compact rows: a few MB).
 */
const CAPACITY = 64;

export class ReadCache {
  private written = -1;
  private committedElsewhere = -1;
  private readonly entries = new Map<string, unknown>();
  private readonly ownWrites: Database.Statement;
  private readonly dataVersion: Database.Statement;

  constructor(db: Database.Database) {
    this.ownWrites = db.prepare("SELECT total_changes()").pluck();
    this.dataVersion = db.prepare("PRAGMA data_version").pluck();
  }

  /** The cached result for `key`, read afresh by `work` when the store has changed or the key is new. Runs inside the engine's one-at-a-time queue. */
  async through<T>(key: string, work: () => Promise<T>): Promise<T> {
    const written = this.ownWrites.get() as number;
    const committedElsewhere = this.dataVersion.get() as number;
    if (written !== this.written || committedElsewhere !== this.committedElsewhere) {
      this.entries.clear();
      this.written = written;
      this.committedElsewhere = committedElsewhere;
    }
    // Nothing undefined is ever kept, so a lookup alone tells a hit.
    const hit = this.entries.get(key) as T | undefined;
    if (hit !== undefined) {
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
