/**
 * PostgreSQL for the store tests, two ways: PGlite in this process, served on
 * a loopback port through pglite-socket so our `pg` engine talks to it over a
 * real socket exactly as to a server (no server needed), and a real server
 * when RETIVO_TEST_DATABASE_URL is set. Each run gets a database of its own
 * on the real server (created through the URL's database, dropped after), so
 * runs on one server never collide; each case starts from an empty schema.
 */
import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { pgcrypto } from "@electric-sql/pglite/contrib/pgcrypto";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import { freePort } from "../../support/ports.js";

export const REAL_SERVER_URL = process.env.RETIVO_TEST_DATABASE_URL?.trim() || undefined;
export const HOW_TO_RUN_REAL =
  "real PostgreSQL server cases skipped: run them with RETIVO_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test";

export interface PostgresTarget {
  /** The database for this run: connect engines here. */
  url: string;
  /** Drops everything the previous case made: the next case migrates an empty schema. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function resetOver(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("DROP SCHEMA IF EXISTS retivo_private CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  } finally {
    await client.end();
  }
}

/** Extended-protocol messages that open a batch a Sync closes (Parse, Bind, Describe, Execute, Close, Flush). */
const BATCH_MESSAGES = new Set([..."PBDECH"].map((c) => c.charCodeAt(0)));
const SYNC = "S".charCodeAt(0);

/**
 * PGlite is one backend session, and pglite-socket queues its connections'
 * messages one at a time, keeping to one connection only while a transaction
 * is open. Outside a transaction a pooled read's Parse, Bind, Execute and
 * Sync can interleave with another connection's, which then runs the other
 * statement (the unnamed one is shared): a server never does that. Reporting
 * "in a transaction" from a batch's first message to its Sync keeps each
 * connection's batch whole, as a server's own session would.
 */
function batchesKeptWhole(db: PGlite): PGlite {
  let batchOpen = false;
  return new Proxy(db, {
    get(target, property) {
      if (property === "isInTransaction") return () => batchOpen || target.isInTransaction();
      if (property === "execProtocolRawStream") {
        return async (message: Uint8Array, options: unknown) => {
          if (BATCH_MESSAGES.has(message[0]!)) batchOpen = true;
          try {
            return await target.execProtocolRawStream(message, options as never);
          } finally {
            if (message[0] === SYNC) batchOpen = false;
          }
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface PgliteTarget extends PostgresTarget {
  /** Drops every connection and stops listening, as a server going down does; the returned function brings it back on the same port. */
  goDown(): Promise<() => Promise<void>>;
}

/** PGlite in memory behind a socket server on a free loopback port. */
export async function startPglite(): Promise<PgliteTarget> {
  const db = await PGlite.create({ extensions: { pgcrypto } });
  const served = batchesKeptWhole(db);
  const port = await freePort();
  const listen = async () => {
    const server = new PGLiteSocketServer({ db: served, host: "127.0.0.1", port, maxConnections: 64 });
    await server.start();
    return server;
  };
  let server: PGLiteSocketServer | undefined = await listen();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    reset: () => resetOver(url),
    async goDown() {
      await server?.stop();
      server = undefined;
      return async () => {
        server = await listen();
      };
    },
    async close() {
      await server?.stop();
      await db.close();
    },
  };
}

/** A uniquely named database on the real server for this run, dropped by close(). */
export async function startRealServer(adminUrl: string): Promise<PostgresTarget> {
  const name = `retivo_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    reset: () => resetOver(url.toString()),
    async close() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
