/**
 * Which failures of the PostgreSQL store are the operator's to fix (a server
 * that cannot be reached, refused credentials, a missing database, a server
 * restarting or out of disk), and how to say so: one line naming the
 * database (its URL without the password) and the cause, for the log, the
 * CLI and the agent alike. Everything else stays what it is.
 */
import { StoreUnavailableError } from "../../errors.js";

/** SQLSTATE codes (and Node's socket codes) the operator can act on. */
const CAUSES: Record<string, string> = {
  ECONNREFUSED: "the PostgreSQL server refuses connections (is it running, on this host and port?)",
  ENOTFOUND: "the server's host name does not resolve",
  EAI_AGAIN: "the server's host name does not resolve (DNS is not answering)",
  ETIMEDOUT: "the server does not answer (a firewall, or the wrong host)",
  EHOSTUNREACH: "the server's host is unreachable",
  ENETUNREACH: "the server's network is unreachable",
  ECONNRESET: "the server closed the connection",
  // A pipelined statement written to a connection the server already closed.
  EPIPE: "the server closed the connection",
  "28P01": "the server refused the password",
  "28000": "the server refused this role (pg_hba.conf, or no such role)",
  "3D000": "the database does not exist (create it, or fix the URL's database name)",
  "53300": "the server has no connection slot left (lower RETIVO_DATABASE_POOL_SIZE, or raise max_connections)",
  "53100": "the server's disk is full",
  "57P01": "the server is shutting down",
  "57P02": "the server crashed",
  "57P03": "the server is starting up or restarting",
  "57014": "a statement ran longer than RETIVO_DATABASE_STATEMENT_TIMEOUT_MS and was cancelled",
  "25006": "the database is read-only (a standby, or default_transaction_read_only)",
};

/** node-postgres reports a lost connection with a message and no code. */
const LOST = /^Connection terminated|^Client has encountered a connection error|timeout exceeded when trying to connect/i;

/** A StoreUnavailableError for an operator-fixable fault of the database at `location`, else undefined. */
export function storeFaultOf(error: unknown, location: string): StoreUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return error;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  const cause = typeof code === "string" ? CAUSES[code] : undefined;
  if (cause) return new StoreUnavailableError(location, `${cause} (${code})`, "postgres");
  if (LOST.test(error.message)) return new StoreUnavailableError(location, `the connection to the server was lost or could not be made (${error.message})`, "postgres");
  // An unreachable host tried on several addresses (IPv4 and IPv6) comes as one AggregateError.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const fault = storeFaultOf(inner, location);
      if (fault) return fault;
    }
  }
  return undefined;
}
