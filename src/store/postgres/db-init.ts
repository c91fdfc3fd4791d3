/**
 * `retivo-mcp db init` against the database: as an administrator, the two
 * roles (roles.ts), the schema brought up to date, everything handed to the
 * owner, the server's role granted what it needs, and the first operator
 * passphrase stored as a bcrypt hash only the owner can read. Also the same
 * SQL as text, for a DBA who runs it by hand (`--print-sql`).
 */
import pg from "pg";
import { DEFAULT_OPERATOR } from "../../domain/operator.js";
import { locationOf } from "./engine.js";
import { migrate } from "./migrate.js";
import { MIGRATIONS } from "./migrations.js";
import { grantsSql, rolesSql, SET_FIRST_PASSPHRASE, type StoreRoles } from "./roles.js";

export interface DatabaseInitResult {
  /** The URL the MCP server connects with (RETIVO_DATABASE_URL): the admin URL's host and database, the server's role and password. */
  serverUrl: string;
  /** False when an operator passphrase was already stored (kept; `approvals passphrase` changes it). */
  passphraseSet: boolean;
}

export async function initDatabase(
  adminUrl: string,
  roles: StoreRoles,
  password: string,
  firstPassphrase: () => Promise<string>,
  now = new Date(),
): Promise<DatabaseInitResult> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ db: string }>("SELECT current_database() AS db");
    for (const statement of rolesSql(roles, rows[0]!.db, password)) await client.query(statement);
    await migrate(client, locationOf(adminUrl));
    for (const statement of grantsSql(roles)) await client.query(statement);
    const { rows: set } = await client.query<{ set: boolean }>("SELECT retivo_passphrase_set($1) AS set", [DEFAULT_OPERATOR]);
    let passphraseSet = false;
    if (!set[0]?.set) {
      await client.query(SET_FIRST_PASSPHRASE, [DEFAULT_OPERATOR, await firstPassphrase(), now.toISOString()]);
      passphraseSet = true;
    }
    const serverUrl = new URL(adminUrl);
    serverUrl.username = roles.server;
    serverUrl.password = password;
    return { serverUrl: serverUrl.toString(), passphraseSet };
  } finally {
    await client.end();
  }
}

/** Everything initDatabase runs, as one SQL script (the password and passphrase left for the DBA to fill in). */
export function databaseInitSql(roles: StoreRoles): string {
  const migrations = MIGRATIONS.map(
    (sql, i) => `-- schema migration ${i + 1}\nBEGIN;\n${sql.trim()};\nINSERT INTO schema_migrations (version, applied_at) VALUES (${i + 1}, now()::text);\nCOMMIT;`,
  );
  return [
    "-- retivo-mcp db init: run as a superuser (or the database's owner with CREATEROLE), connected to the store's database.",
    "-- 1. The owner role (owns everything, never logs in) and the server's role (RETIVO_DATABASE_URL connects as it).",
    ...rolesSql(roles, "<database>", "<server password>").map((s) => `${s};`),
    "-- 2. The schema (skip the migrations schema_migrations already lists).",
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);",
    ...migrations,
    "-- 3. Everything to the owner; the server's role may append audit rows (through retivo_append_audit) but never change them,",
    "--    and approves only through retivo_decide_approval with the operator's passphrase.",
    ...grantsSql(roles).map((s) => `${s};`),
    "-- 4. The first operator passphrase (at least 12 characters), stored as a bcrypt hash in the private schema.",
    `SELECT retivo_set_passphrase('${DEFAULT_OPERATOR}', NULL, '<operator passphrase>', now()::text);`,
    "",
  ].join("\n\n");
}
