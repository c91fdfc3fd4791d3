/**
 * The shared engine: a PostgreSQL database through a `pg` pool, for several
 * server processes or machines on one store. Reads are single pooled
 * statements; a snapshot is a REPEATABLE READ READ ONLY transaction; a write
 * is one connection from BEGIN to COMMIT at READ COMMITTED, where every
 * compare-and-set UPDATE waits for a concurrent writer of its row and then
 * re-checks its condition, so exactly one of two racing transitions wins.
 * Named locks are transaction-scoped advisory locks. A write that loses a
 * serialization or deadlock race is rolled back and run again, a few times.
 *
 * Connections pipeline (pg's `pipeline` mode): a transaction's BEGIN goes out
 * with its first statement, not a round trip ahead of it. `roundTrips`
 * counts the times the engine waits on the server, which is what a call costs.
 *
 * Values come back as the operations expect them from SQLite: BIGINT (seq,
 * COUNT(*)) as a number, INTEGER 0/1 flags as numbers, REAL as a number.
 */
import pg from "pg";
import type { Dialect, Engine, Tx } from "../sql.js";
import { storeFaultOf } from "./faults.js";
import { numberPlaceholders } from "./placeholders.js";

const DIALECT: Dialect = {
  name: "postgres",
  skipLocked: " FOR UPDATE SKIP LOCKED",
  // Migration 10 (database-guard-schema.ts): one round trip per append, and the only way the server's role may append.
  appendAudit: "SELECT retivo_append_audit(?, ?, ?, ?, ?, ?) AS seq",
};

/** serialization_failure and deadlock_detected: the transaction lost a race and may simply run again. */
const RETRYABLE = new Set(["40001", "40P01"]);
const WRITE_ATTEMPTS = 4;

const INT8_OID = 20;
/** How long a call waits for a connection, new or from the pool, before it fails (a server that does not answer). */
const CONNECT_TIMEOUT_MS = 10_000;

export interface PostgresOptions {
  /** Connections in the pool (RETIVO_DATABASE_POOL_SIZE). */
  poolSize: number;
  /** The server cancels a statement running longer than this (RETIVO_DATABASE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
}

/** The URL as it may be shown: no password, no query string (which may carry one). */
export function locationOf(url: string): string {
  const parsed = new URL(url);
  const user = parsed.username ? `${parsed.username}@` : "";
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
}

function int8AsNumber(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`a BIGINT value (${text}) exceeds what the store reads as a number`);
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID ? int8AsNumber : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class PostgresEngine implements Engine {
  readonly dialect = DIALECT;
  readonly location: string;
  /** Exchanges with the server (BEGIN sent with the first statement counts once): the round trips an operation costs. */
  roundTrips = 0;
  private readonly pool: pg.Pool;
  private readonly texts = new Map<string, { text: string; count: number }>();

  constructor(url: string, options: PostgresOptions) {
    this.location = locationOf(url);
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize,
      statement_timeout: options.statementTimeoutMs,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      types,
      // pg.PoolConfig lacks the Client's `pipeline` option, which the pool passes on to each connection.
      ...({ pipeline: true } as object),
    });
    // An idle connection the server drops (a restart) is discarded by the pool, which reports it here;
    // unheard, it would end the process. The next call opens a fresh connection.
    this.pool.on("error", () => undefined);
  }

  read<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.faultsNamed(() => work(this.txOver(this.pool)));
  }

  /** Not cached: other replicas write the same database, and nothing here would tell. */
  readCached<T>(_key: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.read(work);
  }

  snapshot<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.faultsNamed(() => this.inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", work));
  }

  write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.faultsNamed(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.inTransaction("BEGIN", work);
        } catch (error) {
          if (attempt >= WRITE_ATTEMPTS || !RETRYABLE.has((error as { code?: string }).code ?? "")) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
        }
      }
    });
  }

  /** One connection for a while (the migration lock is held by a session, not a transaction). */
  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.faultsNamed(async () => {
      const { client, release } = await this.checkOut();
      try {
        return await work(client);
      } finally {
        release();
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * A connection for this engine alone. A connection that drops while checked
   * out (a server restart) also emits an error event besides failing its
   * query: heard here, so it cannot end the process, and the connection is
   * destroyed on release rather than returned to the pool.
   */
  private async checkOut(): Promise<{ client: pg.PoolClient; release: (broken?: Error) => void }> {
    const client = await this.pool.connect();
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
    };
    client.on("error", onError);
    return {
      client,
      release: (broken) => {
        client.removeListener("error", onError);
        client.release(broken ?? lost);
      },
    };
  }

  private async inTransaction<T>(begin: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    const { client, release } = await this.checkOut();
    let broken: Error | undefined;
    // Sent now, answered with the first statement: pipelined, BEGIN costs no round trip of its own.
    let begun: Promise<unknown> | undefined = client.query(begin);
    begun.catch(() => undefined);
    const withBegin = async <R>(statement: Promise<R>): Promise<R> => {
      const pending = begun;
      begun = undefined;
      this.roundTrips++;
      if (!pending) return statement;
      const [, result] = await Promise.all([pending, statement]);
      return result;
    };
    try {
      const result = await work(this.txOver(client, withBegin));
      await withBegin(client.query("COMMIT"));
      return result;
    } catch (error) {
      try {
        await withBegin(client.query("ROLLBACK"));
      } catch (rollbackFailed) {
        // The connection is gone; it must not go back to the pool.
        broken = rollbackFailed as Error;
      }
      throw error;
    } finally {
      release(broken);
    }
  }

  private txOver(target: pg.Pool | pg.PoolClient, send: <R>(statement: Promise<R>) => Promise<R> = this.counted): Tx {
    const query = (sql: string, params: readonly unknown[]) => send(target.query(this.numbered(sql, params.length), params as unknown[]));
    return {
      dialect: DIALECT,
      all: async <T>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows as T[],
      get: async <T>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows[0] as T | undefined,
      run: async (sql: string, params: readonly unknown[] = []) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
      lock: async (name: string) => {
        await query("SELECT pg_advisory_xact_lock(hashtext(?))", [name]);
      },
    };
  }

  private readonly counted = <R>(statement: Promise<R>): Promise<R> => {
    this.roundTrips++;
    return statement;
  };

  /** The statement with numbered placeholders, translated once per SQL text. */
  private numbered(sql: string, given: number): string {
    let translated = this.texts.get(sql);
    if (!translated) this.texts.set(sql, (translated = numberPlaceholders(sql)));
    if (translated.count !== given) throw new Error(`store statement has ${translated.count} placeholder(s) but ${given} parameter(s): ${sql}`);
    return translated.text;
  }

  private async faultsNamed<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw storeFaultOf(error, this.location) ?? error;
    }
  }
}
