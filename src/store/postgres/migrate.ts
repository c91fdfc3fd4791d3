/**
 * Brings a PostgreSQL store's schema up to date at open. Each migration runs
 * in its own transaction with its row in `schema_migrations`; the whole run
 * holds a session advisory lock, so several processes starting at once on an
 * empty database migrate it once (the others wait, then find nothing to do).
 * A store set up by `retivo-mcp db init` is migrated by that command, as its
 * owner; the server's role only finds it up to date.
 */
import type pg from "pg";
import { MIGRATIONS } from "./migrations.js";

/** One key for every retivo-mcp store; a second store in the same database only waits its turn. */
const MIGRATION_LOCK = "SELECT pg_advisory_lock(hashtext('retivo-mcp:migrations'))";
const INSUFFICIENT_PRIVILEGE = "42501";
const MIGRATION_UNLOCK = "SELECT pg_advisory_unlock(hashtext('retivo-mcp:migrations'))";

export async function migrate(client: pg.ClientBase, location: string): Promise<void> {
  await client.query(MIGRATION_LOCK);
  try {
    // Created only when missing: the server's role of a `db init` store may read it but create nothing.
    const { rows: found } = await client.query<{ table: string | null }>("SELECT to_regclass('schema_migrations')::text AS table");
    if (!found[0]?.table) {
      await client.query(`CREATE TABLE schema_migrations (
        version    INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL
      )`);
    }
    const { rows } = await client.query<{ version: number | null }>("SELECT MAX(version) AS version FROM schema_migrations");
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(`The store at ${location} has schema version ${current}, newer than this retivo-mcp knows (${MIGRATIONS.length}). Upgrade retivo-mcp.`);
    }
    for (let version = current; version < MIGRATIONS.length; version++) {
      await client.query("BEGIN");
      try {
        await client.query(MIGRATIONS[version]!);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [version + 1, new Date().toISOString()]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE) {
          throw new Error(
            `The store at ${location} is at schema version ${version}, and this role may not bring it to ${MIGRATIONS.length}: ` +
              "run `retivo-mcp db init` with the owner's or an administrator's URL (RETIVO_DATABASE_ADMIN_URL) to upgrade it.",
            { cause: error },
          );
        }
        throw error;
      }
    }
  } finally {
    await client.query(MIGRATION_UNLOCK);
  }
}
