/**
 * Flags and environment → one typed, frozen Config. This is the only module
 * that reads the environment (it is handed `env`, never `process.env` itself),
 * and it fails fast, naming the bad value and the accepted ones.
 */
import { isIPv4, isIPv6 } from "node:net";
import { homedir, platform } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "./errors.js";

export const TOOL_NAMES = [
  "list_interventions",
  "get_intervention",
  "create_intervention",
  "approve_intervention",
  "pause_intervention",
  "reject_intervention",
  "rollback_intervention",
  "flag_intervention",
  "dry_run_intervention",
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export const COMMANDS = ["serve", "api", "approvals", "operators", "audit", "seed", "db", "help", "version"] as const;
export type Command = (typeof COMMANDS)[number];

export type LlmProvider = "auto" | "openai" | "sampling" | "template";
export type ApprovalPolicy = "elicit" | "deny";
export type KeyMode = "live" | "test";

/**
 * OAuth 2.1 on `serve --http`: this server is a resource server that accepts
 * JWT access tokens from one authorization server (the issuer).
 */
export interface OAuthConfig {
  /** RETIVO_OAUTH_ISSUER: the `iss` every token must carry, and where metadata is discovered. */
  issuer: string;
  /** RETIVO_OAUTH_AUDIENCE: the `aud` every token must carry; undefined means the MCP endpoint's public URL. */
  audience: string | undefined;
  /** RETIVO_OAUTH_JWKS_URL: the signing keys; undefined means the issuer metadata's `jwks_uri`, found at start. */
  jwksUrl: string | undefined;
}

/**
 * The approval webhook (RETIVO_APPROVAL_WEBHOOK_URL + _SECRET): requests,
 * reminders, escalations and outcomes are POSTed there signed, and signed
 * decisions come back to POST /approvals/{id}/decisions with the same secret.
 */
export interface ApprovalWebhookConfig {
  url: string;
  secret: string;
}

/**
 * The approval page's OIDC login (RETIVO_PAGE_OIDC_*): an operator signs in
 * at the issuer (authorization code + PKCE) and decides as the operator the
 * claim names, without a passphrase.
 */
export interface PageLoginConfig {
  issuer: string;
  clientId: string;
  /** Undefined: a public client (PKCE only, no client authentication). */
  clientSecret: string | undefined;
  /** The ID token claim that names the operator (default `preferred_username`). */
  operatorClaim: string;
  /** Claim value → operator name; undefined: the claim's value is the operator's name. */
  operatorMap: Readonly<Record<string, string>> | undefined;
  scopes: string;
}

export type BackendConfig =
  | { kind: "local" }
  | { kind: "api"; apiUrl: string; apiKey: string; keyMode: KeyMode };

export interface Config {
  command: Command;
  /** Positional arguments after the command (e.g. `approvals approve ID`). */
  args: string[];
  /** `approvals approve|deny ID --as NAME`: the named operator deciding. */
  operator: string | undefined;
  /** `operators add NAME --principal P`: the requesting principal whose agent this operator runs. */
  principal: string | undefined;
  transport: "stdio" | "http";
  http: {
    host: string;
    port: number;
    /** Bearer token for the MCP HTTP endpoint; required off loopback. */
    token: string | undefined;
    allowedOrigins: string[];
    /** Extra Host names accepted besides loopback and the bound host (RETIVO_ALLOWED_HOSTS). */
    allowedHosts?: string[];
    /** Cap on concurrent MCP sessions (RETIVO_MCP_MAX_SESSIONS). */
    maxSessions?: number;
    /** A session with an open stream and no request for this long is closed (RETIVO_MCP_IDLE_TIMEOUT_SECONDS). */
    idleTimeoutMs?: number;
    /** The same for a session without an open stream (RETIVO_MCP_STREAMLESS_IDLE_SECONDS). */
    streamlessIdleTimeoutMs?: number;
    /** OAuth instead of the static token (RETIVO_OAUTH_*); undefined: the static token, or none on loopback. */
    oauth?: OAuthConfig;
    /**
     * This replica's name (RETIVO_REPLICA_ID), the prefix of every MCP session
     * id it mints, so a load balancer can send a session's requests back to it;
     * undefined: derived from the host name and the bound port.
     */
    replicaId?: string;
  };
  /**
   * The externally visible base URL (RETIVO_PUBLIC_URL, e.g.
   * https://mcp.example.com behind a load balancer), without a trailing slash;
   * undefined: the address the server binds.
   */
  publicUrl?: string;
  backend: BackendConfig;
  dataDir: string;
  /** SQLite file of the local store (also holds approvals and the audit log). */
  dbPath: string;
  /**
   * A PostgreSQL database for the store instead of the SQLite file
   * (RETIVO_DATABASE_URL): several server processes, or machines, sharing one
   * store.
   */
  databaseUrl: string | undefined;
  /** Connections each process keeps to that database at most (RETIVO_DATABASE_POOL_SIZE). */
  databasePoolSize: number;
  /** The server cancels a statement running longer than this (RETIVO_DATABASE_STATEMENT_TIMEOUT_MS). */
  databaseStatementTimeoutMs: number;
  outboxDir: string;
  /**
   * How long the dispatcher's lease on a delivery in flight lasts
   * (RETIVO_DELIVERY_LEASE_SECONDS); its owner renews it every third of that,
   * and once a dead owner's lease lapses another process takes the delivery
   * over within this plus one poll.
   */
  deliveryLeaseMs: number;
  /** Undefined: no approval webhook (no notices sent, no decisions endpoint). */
  approvalWebhook: ApprovalWebhookConfig | undefined;
  /** Undefined: the page takes operator passphrases only. */
  pageLogin: PageLoginConfig | undefined;
  /** The local store's webhook endpoint for the live data set (applied at start by `serve` and `api`; undefined for other commands). */
  webhook: { url: string; secret: string } | undefined;
  seed: number;
  llm: {
    provider: LlmProvider;
    openaiApiKey: string | undefined;
    openaiBaseUrl: string | undefined;
    model: string;
    timeoutMs: number;
    judge: boolean;
  };
  /** `policyFile`: RETIVO_POLICY, the approval policy by business risk (guard/policy.ts), read and validated at start. */
  approval: { policy: ApprovalPolicy; ttlMs: number; policyFile: string | undefined };
  /**
   * One deadline per tool call (RETIVO_CALL_TIMEOUT_SECONDS): upstream requests
   * and retry waits stop when it passes, and no change starts after it.
   */
  callTimeoutMs: number;
  readOnly: boolean;
  /** Allow-list of tools; undefined means all. */
  tools: ToolName[] | undefined;
  logLevel: string;
  /** How often a session checks the intervention resources it is subscribed to (RETIVO_SUBSCRIPTION_POLL_MS); undefined: per mode. */
  subscriptionPollMs: number | undefined;
  /** `retivo-mcp db init`: the PostgreSQL database, its owner and the server's role (present for `db` only). */
  databaseInit?: DatabaseInitConfig;
  /** `retivo-mcp api` */
  restServer: { host: string; port: number; keys: string[]; ratePerMinute: number };
}

export interface DatabaseInitConfig {
  /** --admin-url or RETIVO_DATABASE_ADMIN_URL: a superuser (or the database's owner with CREATEROLE); undefined with --print-sql only. */
  adminUrl: string | undefined;
  /** --owner-role or RETIVO_DATABASE_OWNER_ROLE: owns the schema and the guard's functions; never logs in. */
  ownerRole: string;
  /** --server-role or RETIVO_DATABASE_SERVER_ROLE: what the MCP server connects as (RETIVO_DATABASE_URL). */
  serverRole: string;
  /** RETIVO_DATABASE_SERVER_PASSWORD: the server role's password; undefined: a random one, printed once. */
  serverPassword: string | undefined;
  /** --print-sql: print the SQL and run nothing. */
  printSql: boolean;
}

export type Env = Record<string, string | undefined>;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * Loopback means exactly `localhost`, an IPv4 literal in 127.0.0.0/8, or `::1`
 * (bare or bracketed); case-insensitive, no port. A name that merely starts
 * with "127." (`127.0.0.1.evil.com`) is a DNS name anyone can point anywhere.
 * The one definition used by config, the HTTP transport and the approval page.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || h === "[::1]" || (isIPv4(h) && h.startsWith("127."));
}

/**
 * A Host header (`name`, `name:port`, `1.2.3.4:80`, `[::1]:8080`) → lower-case
 * hostname (IPv6 kept in brackets) and port; undefined when it is not exactly
 * that (no user info, path, spaces or bare IPv6).
 */
export function parseHostHeader(value: string): { hostname: string; port: number | undefined } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!match) return undefined;
  const hostname = match[1]!.toLowerCase();
  if (hostname.startsWith("[") && !isIPv6(hostname.slice(1, -1))) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65535) return undefined;
  return { hostname, port };
}

/** Where the embedded store lives when RETIVO_DB is not set. */
export function defaultDataDir(env: Env): string {
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  switch (platform()) {
    case "darwin":
      return join(home, "Library", "Application Support", "retivo-mcp");
    case "win32":
      return join(env.APPDATA ?? join(home, "AppData", "Roaming"), "retivo-mcp");
    default:
      return join(env.XDG_DATA_HOME ?? join(home, ".local", "share"), "retivo-mcp");
  }
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${name} must be one of ${allowed.join(", ")}; got '${value}'.`);
}

function port(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`${name} must be a port number 0..65535; got '${value}'.`);
  }
  return n;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${name} must be a positive integer; got '${value}'.`);
  return n;
}

function bool(name: string, value: string | boolean | undefined): boolean {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  const v = value.toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off", ""].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false; got '${value}'.`);
}

export function keyModeOf(key: string): KeyMode {
  if (key.startsWith("rt_live_")) return "live";
  if (key.startsWith("rt_test_")) return "test";
  throw new ConfigError(
    "RETIVO_API_KEY must start with rt_live_ (production) or rt_test_ (testing). " +
      "Copy the key from your Retivo settings, or unset it to use the local store.",
  );
}

function parseToolList(value: string): ToolName[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new ConfigError("--tools needs at least one tool name.");
  for (const name of names) oneOf("--tools entry", name, TOOL_NAMES);
  return names as ToolName[];
}

/** The flags each command reads; any other flag is a mistake, refused rather than ignored. */
const COMMAND_FLAGS: Record<Exclude<Command, "help" | "version">, readonly string[]> = {
  serve: ["http", "stdio", "host", "port", "db", "seed", "llm", "approval", "read-only", "tools", "log-level"],
  api: ["host", "port", "db", "seed", "llm", "log-level"],
  seed: ["db", "seed", "log-level"],
  approvals: ["db", "log-level", "as"],
  operators: ["db", "log-level", "principal"],
  audit: ["db", "log-level"],
  db: ["admin-url", "owner-role", "server-role", "print-sql", "seed", "log-level"],
};

function checkFlagsFor(command: Command, values: Record<string, unknown>): void {
  if (values.http && values.stdio) throw new ConfigError("--http and --stdio contradict each other: choose one transport.");
  if (command === "help" || command === "version") return; // help always answers
  const accepted = COMMAND_FLAGS[command];
  const wrong = Object.keys(values).filter((flag) => values[flag] !== undefined && !["help", "version"].includes(flag) && !accepted.includes(flag));
  if (wrong.length === 0) return;
  const flags = wrong.map((flag) => `--${flag}`).join(", ");
  const hint =
    wrong.some((flag) => flag === "http" || flag === "stdio")
      ? " The transport flags apply to 'serve' only."
      : wrong.some((flag) => flag === "host" || flag === "port")
        ? " --host and --port apply to 'serve --http' and 'api'."
        : "";
  throw new ConfigError(
    `${flags} ${wrong.length === 1 ? "does" : "do"} not apply to '${command}'.${hint} '${command}' takes: ${accepted.map((flag) => `--${flag}`).join(", ")}.`,
  );
}

/**
 * RETIVO_WEBHOOK_URL and RETIVO_WEBHOOK_SECRET come together, or not at all.
 * Read only by the commands that apply them (`serve`, `api`): a bad value must
 * not block `help` or the operator's `approvals` CLI. The secret is the signing
 * key, used exactly as given: one with leading or trailing whitespace is
 * refused rather than trimmed, since trimming would sign with a different key
 * than the receiver holds.
 */
/** A replica id: short and plain enough to sit in a session id and in an nginx `map` pattern unquoted. */
export const REPLICA_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

function replicaIdFrom(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (!REPLICA_ID_PATTERN.test(value)) {
    throw new ConfigError(
      `RETIVO_REPLICA_ID must be 1 to 32 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (like 'mcp-1'); got '${value}'.`,
    );
  }
  return value;
}

/** RETIVO_DATABASE_URL, checked; an explicit --db (a file) wins over it, as flags win over the environment. */
function databaseUrlFrom(raw: string | undefined, dbFlagGiven: boolean): string | undefined {
  const value = raw?.trim();
  if (!value || dbFlagGiven) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError("RETIVO_DATABASE_URL must be a URL like postgres://user@host:5432/dbname; it does not parse.");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(`RETIVO_DATABASE_URL must start with postgres:// (got ${url.protocol}//); for the SQLite file, unset it and use RETIVO_DB.`);
  }
  return value;
}

/** A count within bounds: a pool of 0 connections cannot work, and one of thousands exhausts the server. */
function boundedInt(name: string, value: string, max: number): number {
  const n = positiveInt(name, value);
  if (n > max) throw new ConfigError(`${name} must be at most ${max}; got '${value}'.`);
  return n;
}

/** A role name used unquoted in SQL: lower case, digits and underscores, as PostgreSQL folds it. */
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function roleName(name: string, value: string): string {
  if (!ROLE_NAME.test(value)) throw new ConfigError(`${name} must be a PostgreSQL role name of lower-case letters, digits and underscores (at most 63); got '${value}'.`);
  return value;
}

function databaseInitFrom(command: Command, args: string[], values: Record<string, string | boolean | undefined>, env: Env): DatabaseInitConfig | undefined {
  if (command !== "db") return undefined;
  if (args[0] !== "init" || args.length > 1) throw new ConfigError(`'db' takes one subcommand, init (got '${args.join(" ")}'). Run 'retivo-mcp db init --print-sql' to see what it does.`);
  const printSql = values["print-sql"] === true;
  const adminValue = (values["admin-url"] as string | undefined)?.trim() || env.RETIVO_DATABASE_ADMIN_URL?.trim() || undefined;
  const adminUrl = adminValue === undefined ? undefined : postgresUrl("RETIVO_DATABASE_ADMIN_URL (--admin-url)", adminValue);
  if (!adminUrl && !printSql) {
    throw new ConfigError("'db init' needs an administrator's URL: --admin-url postgres://postgres@host:5432/dbname, or RETIVO_DATABASE_ADMIN_URL (or --print-sql to only see the SQL).");
  }
  const ownerRole = roleName("--owner-role", (values["owner-role"] as string | undefined) ?? env.RETIVO_DATABASE_OWNER_ROLE?.trim() ?? "retivo_owner");
  const serverRole = roleName("--server-role", (values["server-role"] as string | undefined) ?? env.RETIVO_DATABASE_SERVER_ROLE?.trim() ?? "retivo_server");
  if (ownerRole === serverRole) throw new ConfigError("The owner and server roles must differ: the point is that the server's role owns nothing.");
  return { adminUrl, ownerRole, serverRole, serverPassword: env.RETIVO_DATABASE_SERVER_PASSWORD || undefined, printSql };
}

function postgresUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL like postgres://user@host:5432/dbname; it does not parse.`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw new ConfigError(`${name} must start with postgres:// (got ${url.protocol}//).`);
  return value;
}

function webhookFrom(command: Command, env: Env): Config["webhook"] {
  if (command !== "serve" && command !== "api") return undefined;
  const url = env.RETIVO_WEBHOOK_URL?.trim();
  const secret = env.RETIVO_WEBHOOK_SECRET;
  if (!url && !secret) return undefined;
  if (!url || !secret) throw new ConfigError("Set RETIVO_WEBHOOK_URL and RETIVO_WEBHOOK_SECRET together: deliveries are signed with the secret.");
  try {
    const parsed = new URL(url);
    if (!["http:", "https:"].includes(parsed.protocol)) throw new Error();
  } catch {
    throw new ConfigError("RETIVO_WEBHOOK_URL must be an http(s) URL.");
  }
  if (secret !== secret.trim()) {
    throw new ConfigError(
      "RETIVO_WEBHOOK_SECRET starts or ends with whitespace (a space, tab or line break, often left over from copying). " +
        "It is the signing key and is never trimmed: set it without the whitespace, exactly as the receiver holds it.",
    );
  }
  if (secret.length < 16) throw new ConfigError("RETIVO_WEBHOOK_SECRET must have at least 16 characters.");
  return { url, secret };
}

/**
 * RETIVO_APPROVAL_WEBHOOK_URL and _SECRET, together or not at all, read by
 * `serve` only. Like the delivery webhook's, the secret is the signing key,
 * never trimmed.
 */
function approvalWebhookFrom(command: Command, env: Env): ApprovalWebhookConfig | undefined {
  if (command !== "serve") return undefined;
  const url = env.RETIVO_APPROVAL_WEBHOOK_URL?.trim();
  const secret = env.RETIVO_APPROVAL_WEBHOOK_SECRET;
  if (!url && !secret) return undefined;
  if (!url || !secret) {
    throw new ConfigError("Set RETIVO_APPROVAL_WEBHOOK_URL and RETIVO_APPROVAL_WEBHOOK_SECRET together: notices are signed with the secret, and decisions coming back are checked with it.");
  }
  secureUrl("RETIVO_APPROVAL_WEBHOOK_URL", url);
  if (secret !== secret.trim()) {
    throw new ConfigError("RETIVO_APPROVAL_WEBHOOK_SECRET starts or ends with whitespace; it is the signing key and is never trimmed: set it exactly as the receiver holds it.");
  }
  if (secret.length < 32) throw new ConfigError("RETIVO_APPROVAL_WEBHOOK_SECRET must have at least 32 characters (e.g. `openssl rand -hex 32`).");
  return { url, secret };
}

/** `a=alice,b@example.com=bob`: claim values to operator names. */
function operatorMapFrom(raw: string | undefined): Record<string, string> | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of value.split(",")) {
    const at = pair.lastIndexOf("=");
    const claim = pair.slice(0, at).trim();
    const name = pair.slice(at + 1).trim();
    if (at <= 0 || !claim || !name) {
      throw new ConfigError(`RETIVO_PAGE_OIDC_OPERATOR_MAP takes claim=operator pairs separated by commas (e.g. 'alice@example.com=alice,bob@example.com=bob'); '${pair.trim()}' is not one.`);
    }
    map[claim] = name;
  }
  return map;
}

/** RETIVO_PAGE_OIDC_*: read by `serve` only; the issuer and the client id come together. */
function pageLoginFrom(command: Command, env: Env): PageLoginConfig | undefined {
  if (command !== "serve") return undefined;
  const issuer = env.RETIVO_PAGE_OIDC_ISSUER?.trim();
  const clientId = env.RETIVO_PAGE_OIDC_CLIENT_ID?.trim();
  const clientSecret = env.RETIVO_PAGE_OIDC_CLIENT_SECRET || undefined;
  if (!issuer && !clientId && !clientSecret) return undefined;
  if (!issuer || !clientId) throw new ConfigError("The approval page's login needs RETIVO_PAGE_OIDC_ISSUER and RETIVO_PAGE_OIDC_CLIENT_ID (RETIVO_PAGE_OIDC_CLIENT_SECRET for a confidential client).");
  secureUrl("RETIVO_PAGE_OIDC_ISSUER", issuer);
  const operatorClaim = env.RETIVO_PAGE_OIDC_OPERATOR_CLAIM?.trim() || "preferred_username";
  const scopes = env.RETIVO_PAGE_OIDC_SCOPES?.trim() || "openid profile";
  if (!scopes.split(/\s+/).includes("openid")) throw new ConfigError(`RETIVO_PAGE_OIDC_SCOPES must include 'openid' (got '${scopes}'): the login needs an ID token.`);
  return { issuer, clientId, clientSecret, operatorClaim, operatorMap: operatorMapFrom(env.RETIVO_PAGE_OIDC_OPERATOR_MAP), scopes };
}

/** An absolute URL, https (plain http only on a loopback host: tokens must not travel in the clear across a network). */
function secureUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL like https://auth.example.com; got '${raw}'.`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new ConfigError(`${name} must be an https:// URL (http:// only on a loopback host); got '${raw}'.`);
  }
  return url;
}

/** A secure URL without query, fragment or credentials; trailing slashes dropped. */
function baseUrl(name: string, raw: string): string {
  const url = secureUrl(name, raw);
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${name} must not carry a query, a fragment or credentials; got '${raw}'.`);
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * RETIVO_OAUTH_*: read by `serve` over HTTP only. The audience and JWKS URL
 * only make sense with an issuer; the static token and OAuth exclude each
 * other, so which credential the endpoint wants is never ambiguous.
 */
function oauthFrom(env: Env, servesHttp: boolean, token: string | undefined): OAuthConfig | undefined {
  // Not read elsewhere: a bad value must not block stdio, `help` or the operator's `approvals` CLI.
  if (!servesHttp) return undefined;
  const issuer = env.RETIVO_OAUTH_ISSUER?.trim();
  const audience = env.RETIVO_OAUTH_AUDIENCE?.trim() || undefined;
  const jwksUrl = env.RETIVO_OAUTH_JWKS_URL?.trim() || undefined;
  if (!issuer) {
    if (audience || jwksUrl) throw new ConfigError("RETIVO_OAUTH_AUDIENCE and RETIVO_OAUTH_JWKS_URL need RETIVO_OAUTH_ISSUER (the authorization server's issuer URL).");
    return undefined;
  }
  if (token) {
    throw new ConfigError("Set either RETIVO_MCP_TOKEN (one static bearer token) or RETIVO_OAUTH_ISSUER (OAuth access tokens), not both.");
  }
  secureUrl("RETIVO_OAUTH_ISSUER", issuer);
  return {
    // Kept as written: `iss` is compared as an exact string (a trailing slash matters to some servers).
    issuer,
    audience,
    jwksUrl: jwksUrl === undefined ? undefined : baseUrl("RETIVO_OAUTH_JWKS_URL", jwksUrl),
  };
}

/** Parse argv (without node and script) and the environment into a frozen Config. */
export function parseConfig(argv: readonly string[], env: Env): Readonly<Config> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        http: { type: "boolean" },
        stdio: { type: "boolean" },
        host: { type: "string" },
        port: { type: "string" },
        db: { type: "string" },
        seed: { type: "string" },
        llm: { type: "string" },
        approval: { type: "string" },
        "read-only": { type: "boolean" },
        tools: { type: "string" },
        "log-level": { type: "string" },
        as: { type: "string" },
        principal: { type: "string" },
        "admin-url": { type: "string" },
        "owner-role": { type: "string" },
        "server-role": { type: "string" },
        "print-sql": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}. Run 'retivo-mcp help' for the options.`);
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  let command: Command = values.help ? "help" : values.version ? "version" : "serve";
  if (first !== undefined) command = oneOf("command", first, COMMANDS);

  checkFlagsFor(command, values);

  // Empty counts as unset: a client's config form (a Claude Desktop extension's user_config) passes "" for a blank field.
  const dataDir = env.RETIVO_DATA_DIR?.trim() || defaultDataDir(env);
  const dbPath = values.db ?? (env.RETIVO_DB?.trim() || join(dataDir, "retivo.db"));
  const databaseUrl = databaseUrlFrom(env.RETIVO_DATABASE_URL, values.db !== undefined);

  const apiKey = env.RETIVO_API_KEY?.trim() || undefined;
  // `api` serves the local store itself; its own clients' keys are RETIVO_API_KEYS.
  const backend: BackendConfig =
    apiKey && command !== "api"
      ? {
          kind: "api",
          apiUrl: (env.RETIVO_API_URL ?? "https://retivo.ai").replace(/\/+$/, ""),
          apiKey,
          keyMode: keyModeOf(apiKey),
        }
      : { kind: "local" };
  if (backend.kind === "api") {
    try {
      const url = new URL(backend.apiUrl);
      if (!["http:", "https:"].includes(url.protocol)) throw new Error();
    } catch {
      throw new ConfigError(`RETIVO_API_URL must be an http(s) URL; got '${backend.apiUrl}'.`);
    }
  }

  // --stdio forces stdio over RETIVO_HTTP; --stdio with --http was refused above.
  const transport = !values.stdio && (values.http || bool("RETIVO_HTTP", env.RETIVO_HTTP)) ? "http" : "stdio";
  if (command === "serve" && transport === "stdio" && (values.host !== undefined || values.port !== undefined)) {
    throw new ConfigError(
      `${values.host !== undefined ? "--host" : "--port"} applies to 'serve --http' and 'api' only; stdio has no address. Add --http (or set RETIVO_HTTP=1) to serve over HTTP.`,
    );
  }
  const defaultPort = command === "api" ? "3000" : "8080";
  const host = values.host ?? (command === "api" ? env.RETIVO_API_HOST : env.RETIVO_MCP_HOST) ?? "127.0.0.1";
  const portValue = port("--port", values.port ?? (command === "api" ? env.RETIVO_API_PORT : env.RETIVO_MCP_PORT) ?? defaultPort);
  const token = env.RETIVO_MCP_TOKEN?.trim() || undefined;
  const servesHttp = command === "serve" && transport === "http";
  const oauth = oauthFrom(env, servesHttp, token);
  const publicUrlValue = env.RETIVO_PUBLIC_URL?.trim();
  const publicUrl = publicUrlValue && command === "serve" ? baseUrl("RETIVO_PUBLIC_URL", publicUrlValue) : undefined;
  if (servesHttp && !isLoopbackHost(host) && !token && !oauth) {
    throw new ConfigError(
      `Refusing to serve MCP over HTTP on ${host} without a token: set RETIVO_MCP_TOKEN (a long random string), configure OAuth (RETIVO_OAUTH_ISSUER), or bind to 127.0.0.1.`,
    );
  }
  if (oauth && !publicUrl && !isLoopbackHost(host)) {
    throw new ConfigError(
      `OAuth on ${host} needs RETIVO_PUBLIC_URL (the URL clients reach this server at, e.g. https://mcp.example.com): tokens are bound to it and the metadata names it.`,
    );
  }

  const restKeys = (env.RETIVO_API_KEYS ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  for (const key of restKeys) {
    if (!key.startsWith("rt_live_") && !key.startsWith("rt_test_")) {
      throw new ConfigError("Every key in RETIVO_API_KEYS must start with rt_live_ or rt_test_.");
    }
  }

  const toolsValue = values.tools ?? env.RETIVO_TOOLS;
  const logLevel = oneOf("LOG_LEVEL", values["log-level"] ?? env.LOG_LEVEL ?? "info", LOG_LEVELS);

  const config: Config = {
    command,
    args: rest,
    operator: values.as,
    principal: values.principal,
    transport,
    http: {
      host,
      port: portValue,
      token,
      allowedOrigins: (env.RETIVO_ALLOWED_ORIGINS ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      allowedHosts: (env.RETIVO_ALLOWED_HOSTS ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      maxSessions: positiveInt("RETIVO_MCP_MAX_SESSIONS", env.RETIVO_MCP_MAX_SESSIONS ?? "64"),
      idleTimeoutMs: positiveInt("RETIVO_MCP_IDLE_TIMEOUT_SECONDS", env.RETIVO_MCP_IDLE_TIMEOUT_SECONDS ?? "1800") * 1000,
      streamlessIdleTimeoutMs: positiveInt("RETIVO_MCP_STREAMLESS_IDLE_SECONDS", env.RETIVO_MCP_STREAMLESS_IDLE_SECONDS ?? "300") * 1000,
      ...(oauth ? { oauth } : {}),
      replicaId: replicaIdFrom(env.RETIVO_REPLICA_ID),
    },
    ...(publicUrl ? { publicUrl } : {}),
    backend,
    dataDir,
    dbPath,
    databaseUrl,
    databasePoolSize: boundedInt("RETIVO_DATABASE_POOL_SIZE", env.RETIVO_DATABASE_POOL_SIZE?.trim() || "10", 200),
    databaseStatementTimeoutMs: boundedInt("RETIVO_DATABASE_STATEMENT_TIMEOUT_MS", env.RETIVO_DATABASE_STATEMENT_TIMEOUT_MS?.trim() || "30000", 3_600_000),
    outboxDir: env.RETIVO_OUTBOX ?? join(dataDir, "outbox"),
    deliveryLeaseMs: boundedInt("RETIVO_DELIVERY_LEASE_SECONDS", env.RETIVO_DELIVERY_LEASE_SECONDS?.trim() || "30", 3600) * 1000,
    webhook: webhookFrom(command, env),
    approvalWebhook: approvalWebhookFrom(command, env),
    pageLogin: pageLoginFrom(command, env),
    seed: positiveInt("--seed", values.seed ?? env.RETIVO_SEED ?? "42"),
    llm: {
      provider: oneOf("RETIVO_LLM", values.llm ?? env.RETIVO_LLM ?? "auto", ["auto", "openai", "sampling", "template"] as const),
      openaiApiKey: env.OPENAI_API_KEY?.trim() || undefined,
      openaiBaseUrl: env.OPENAI_BASE_URL?.trim() || undefined,
      model: env.RETIVO_LLM_MODEL ?? "gpt-4o-mini",
      timeoutMs: positiveInt("RETIVO_LLM_TIMEOUT_MS", env.RETIVO_LLM_TIMEOUT_MS ?? "20000"),
      judge: bool("RETIVO_LLM_JUDGE", env.RETIVO_LLM_JUDGE),
    },
    approval: {
      policy: oneOf("RETIVO_APPROVAL", values.approval ?? env.RETIVO_APPROVAL ?? "elicit", ["elicit", "deny"] as const),
      ttlMs: positiveInt("RETIVO_APPROVAL_TTL_SECONDS", env.RETIVO_APPROVAL_TTL_SECONDS ?? "600") * 1000,
      policyFile: env.RETIVO_POLICY?.trim() || undefined,
    },
    // Below the 60 s request timeout of the SDK's client (and of most clients built on it).
    callTimeoutMs: positiveInt("RETIVO_CALL_TIMEOUT_SECONDS", env.RETIVO_CALL_TIMEOUT_SECONDS ?? "50") * 1000,
    readOnly: bool("--read-only", values["read-only"]) || bool("RETIVO_READ_ONLY", env.RETIVO_READ_ONLY),
    tools: toolsValue === undefined ? undefined : parseToolList(toolsValue),
    logLevel,
    ...(command === "db" ? { databaseInit: databaseInitFrom(command, rest, values, env) } : {}),
    subscriptionPollMs: env.RETIVO_SUBSCRIPTION_POLL_MS === undefined ? undefined : positiveInt("RETIVO_SUBSCRIPTION_POLL_MS", env.RETIVO_SUBSCRIPTION_POLL_MS),
    restServer: {
      host,
      port: portValue,
      keys: restKeys,
      ratePerMinute: positiveInt("RETIVO_API_RATE_PER_MINUTE", env.RETIVO_API_RATE_PER_MINUTE ?? "600"),
    },
  };
  return Object.freeze(config);
}
