/**
 * The two roles of a PostgreSQL store set up by `retivo-mcp db init`, and
 * the SQL that makes them, run by an administrator:
 *
 * - the owner (NOLOGIN) owns every table and the guard's SECURITY DEFINER
 *   functions (database-guard-schema.ts);
 * - the server's role, what RETIVO_DATABASE_URL connects as, may read
 *   everything and change the domain's tables, but may not write audit_log
 *   or audit_head (it appends through retivo_append_audit), may not delete
 *   approvals or make one approved (the trigger, and retivo_decide_approval
 *   with the operator's passphrase), and cannot look into the private schema
 *   that holds the passphrase's hash.
 *
 * Running it again is harmless: roles are created when missing, ownership and
 * grants are set again (after an upgrade, this is how new tables get theirs).
 */
import { PRIVATE_SCHEMA } from "./database-guard-schema.js";

export interface StoreRoles {
  owner: string;
  server: string;
}

/** Tables the server's role may read but never write: the audit log, its head, the schema's version. */
const READ_ONLY_TABLES = ["audit_log", "audit_head", "schema_migrations"];

/** The guard's functions the server's role calls (all SECURITY DEFINER, revoked from PUBLIC by migration 10). */
const SERVER_FUNCTIONS = [
  "retivo_append_audit(text, text, text, text, text, text)",
  "retivo_passphrase_set(text)",
  "retivo_check_passphrase(text, text)",
  "retivo_set_passphrase(text, text, text, text)",
  "retivo_decide_approval(text, text, text, text, text, text, text, text, text, text)",
];

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** Before the schema: the roles, and what the owner needs to create it. `password` is inlined (CREATE ROLE takes no parameters). */
export function rolesSql(roles: StoreRoles, database: string, password: string): string[] {
  const db = `"${database.replace(/"/g, '""')}"`;
  return [
    `DO $roles$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(roles.owner)}) THEN CREATE ROLE ${roles.owner} NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(roles.server)}) THEN CREATE ROLE ${roles.server} LOGIN; END IF;
END $roles$`,
    // The server's role is a plain login: never a superuser, never able to create roles or databases, not a member of the owner.
    `ALTER ROLE ${roles.server} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT PASSWORD ${literal(password)}`,
    `REVOKE ${roles.owner} FROM ${roles.server}`,
    `GRANT CONNECT ON DATABASE ${db} TO ${roles.server}`,
    `GRANT CONNECT, CREATE ON DATABASE ${db} TO ${roles.owner}`,
    `GRANT USAGE, CREATE ON SCHEMA public TO ${roles.owner}`,
    `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
    // pgcrypto's crypt() and gen_salt() check the passphrase inside the database.
    `CREATE EXTENSION IF NOT EXISTS pgcrypto`,
  ];
}

/** After the schema: everything of the store handed to the owner, and the server's role granted what it needs and no more. */
export function grantsSql(roles: StoreRoles): string[] {
  const { owner, server } = roles;
  return [
    `DO $owner$ DECLARE v RECORD; BEGIN
  FOR v IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') LOOP
    EXECUTE format('ALTER TABLE public.%I OWNER TO ${owner}', v.relname);
  END LOOP;
  FOR v IN SELECT p.oid::regprocedure AS fn FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'retivo\\_%' LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO ${owner}', v.fn);
  END LOOP;
END $owner$`,
    `ALTER SCHEMA ${PRIVATE_SCHEMA} OWNER TO ${owner}`,
    `ALTER TABLE ${PRIVATE_SCHEMA}.operator_passphrases OWNER TO ${owner}`,
    `REVOKE ALL ON SCHEMA ${PRIVATE_SCHEMA} FROM PUBLIC, ${server}`,
    `GRANT USAGE ON SCHEMA public TO ${server}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${server}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${server}`,
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${READ_ONLY_TABLES.join(", ")} FROM ${server}`,
    `REVOKE DELETE, TRUNCATE ON approvals FROM ${server}`,
    // A decision is written once (the trigger refuses the rest): no role but the owner's functions rewrites or removes one.
    `REVOKE UPDATE, DELETE, TRUNCATE ON approval_decisions FROM ${server}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${server}`,
    // audit_log's own numbering: only retivo_append_audit (as the owner) draws from it.
    `DO $seq$ BEGIN EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM ${server}', pg_get_serial_sequence('audit_log', 'seq')); END $seq$`,
    `GRANT EXECUTE ON FUNCTION ${SERVER_FUNCTIONS.join(", ")} TO ${server}`,
  ];
}

/** The first operator passphrase (an administrator's session may set it without the current one). Parameters: operator, passphrase, now. */
export const SET_FIRST_PASSPHRASE = "SELECT retivo_set_passphrase($1, NULL, $2, $3) AS set";
