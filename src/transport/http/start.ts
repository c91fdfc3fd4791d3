/**
 * The Streamable HTTP server: one node:http listener that routes
 *   /healthz, /readyz  → probes (no Host, Origin or token check: orchestrators
 *                        probe by IP and hold no token; they reveal no data)
 *   /approvals/…       → the guard's approval page (Host checked here, Origin
 *                        by the page itself; no bearer token, since the human's
 *                        browser has none: the page carries its own one-time
 *                        token and CSRF check)
 *   /mcp               → MCP sessions (Host, Origin, then the bearer token:
 *                        static, or an OAuth access token with its scopes)
 *   /.well-known/oauth-protected-resource[/mcp]
 *                      → with OAuth, the protected resource metadata
 *                        (public, any origin)
 * Plain node:http rather than express: four routes do not need a framework,
 * and the SDK's transport takes Node's request and response directly.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackHost } from "../../config.js";
import { ConfigError } from "../../errors.js";
import type { ApprovalPageMount } from "../../guard/types.js";
import { DECISIONS_PATH } from "../../guard/webhook-decisions.js";
import type { Runtime } from "../../runtime.js";
import { DEFAULT_MAX_BODY_BYTES } from "./body.js";
import { staticTokenAuthenticator, type Authenticator } from "./authenticator.js";
import { HEALTH_PATHS, healthHandler } from "./health.js";
import { mcpEndpoint } from "./mcp-endpoint.js";
import { defaultReplicaId, mintSessionId } from "./replica.js";
import { JsonRpcCode, sendJson, sendJsonRpcError } from "./responses.js";
import { oauthFor, type OAuthTuning } from "./oauth/setup.js";
import { accessPolicy, checkBrowserBoundary, checkHost, type AccessDenial } from "./security.js";
import { SessionRegistry } from "./sessions.js";
import { DEFAULT_SHUTDOWN_DEADLINE_MS, gracefulShutdown } from "./shutdown.js";

export const MCP_PATH = "/mcp";
export const DEFAULT_MAX_SESSIONS = 64;
export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_STREAMLESS_IDLE_TIMEOUT_MS = 5 * 60_000;

/** A handler mounted under a path prefix, behind the Host/Origin checks. */
export interface HttpRoute {
  prefix: string;
  /** Matches the whole path instead of the prefix (a route inside another's prefix, listed before it). */
  matches?: (path: string) => boolean;
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  /** Require the MCP bearer token too (default false: for pages a human opens in a browser). */
  requireToken?: boolean;
  /**
   * The handler checks Origin itself (Host is still checked here). The approval
   * page does: its own form posts send `Origin: null` (Referrer-Policy
   * no-referrer), which it accepts only with its CSRF token.
   */
  checksOrigin?: boolean;
}

export interface HttpServerOptions {
  /** Defaults come from `runtime.config.http`. */
  host?: string;
  port?: number;
  token?: string;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  maxSessions?: number;
  /** Idle lifetime of a session with an open GET stream. */
  idleTimeoutMs?: number;
  /** Idle lifetime of a session without one: no client is listening (default 5 min). */
  streamlessIdleTimeoutMs?: number;
  maxBodyBytes?: number;
  /** This replica's id, the prefix of its session ids (default: RETIVO_REPLICA_ID, else host name and port). */
  replicaId?: string;
  /** How long shutdown waits for calls in flight (default 10 s). */
  shutdownDeadlineMs?: number;
  /** The guard's approval page; defaults to `runtime.guard.approvalPage`, `false` to not mount it. */
  approvalPage?: ApprovalPageMount | false;
  extraRoutes?: HttpRoute[];
  /** Verifier settings for OAuth (clock tolerance, JWKS refetch cooldown); tests shorten them. */
  oauthTuning?: OAuthTuning;
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:8080/mcp (the bound address, whatever RETIVO_PUBLIC_URL says) */
  url: string;
  host: string;
  port: number;
  /** The prefix of every session id this server mints. */
  replicaId: string;
  sessionCount(): number;
  /** Open GET streams across sessions. */
  streamCount(): number;
  /** Graceful shutdown, then `runtime.close()`. Idempotent. */
  close(deadlineMs?: number): Promise<void>;
}

const APPROVAL_PREFIX = "/approvals/";

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1"; // loopback names always pass the Host check
  return host.includes(":") ? `[${host}]` : host;
}

function deny(res: ServerResponse, denial: AccessDenial): void {
  sendJsonRpcError(res, denial.status, JsonRpcCode.ServerError, denial.message, { headers: denial.headers });
}

export async function startHttpServer(runtime: Runtime, options: HttpServerOptions = {}): Promise<RunningHttpServer> {
  const { config, logger } = runtime;
  const host = options.host ?? config.http.host;
  const token = options.token ?? config.http.token;
  const oauthConfig = config.http.oauth;
  // parseConfig refuses this too; checked again because options can override both.
  if (!isLoopbackHost(host) && !token && !oauthConfig) {
    throw new ConfigError(`Refusing to serve MCP over HTTP on ${host} without a token: set RETIVO_MCP_TOKEN or bind to 127.0.0.1.`);
  }
  // Before listening: an issuer whose keys cannot be located stops the start, naming what failed.
  const oauth = oauthConfig ? await oauthFor(oauthConfig, logger, options.oauthTuning) : undefined;
  const maxSessions = options.maxSessions ?? config.http.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let draining = false;
  const isDraining = () => draining;
  // Known once the port is (port 0 picks one); no session is minted before the listener is up.
  let replicaId = options.replicaId ?? config.http.replicaId ?? "";

  const registry = new SessionRegistry({
    newServer: () => runtime.newServer(),
    mintSessionId: () => mintSessionId(replicaId),
    logger,
    maxSessions,
    idleTimeoutMs: options.idleTimeoutMs ?? config.http.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    streamlessIdleTimeoutMs: options.streamlessIdleTimeoutMs ?? config.http.streamlessIdleTimeoutMs ?? DEFAULT_STREAMLESS_IDLE_TIMEOUT_MS,
    maxBodyBytes,
  });
  // Filled in once the port is known (port 0 picks one).
  let policy = accessPolicy({ boundHost: host, boundPort: 0, allowedHosts: [], allowedOrigins: [], token });
  let authenticator: Authenticator = staticTokenAuthenticator(() => policy);
  const mcp = mcpEndpoint({
    registry,
    logger,
    maxBodyBytes,
    maxSessions,
    isDraining,
    authorize: (caller, messages) => authenticator.authorize(caller, messages),
    replicaId: () => replicaId,
  });
  const secrets = [token, config.backend.kind === "api" ? config.backend.apiKey : undefined].filter((s): s is string => !!s);
  const health = healthHandler({ backend: runtime.backend, secrets, isDraining, sessions: () => registry.saturation() });
  const approvalPage = options.approvalPage === false ? undefined : (options.approvalPage ?? runtime.guard.approvalPage);
  // Off loopback only behind a public base URL: its host is the one the page then answers for.
  const canServeApprovalPage = isLoopbackHost(host) || host === "0.0.0.0" || host === "::" || config.publicUrl !== undefined;
  const routes: HttpRoute[] = [...(options.extraRoutes ?? [])];
  const decisions = runtime.guard.decisionsEndpoint;
  // Before the page's prefix; server-to-server, so Host and Origin are checked as for /mcp, and the signature vouches.
  if (decisions) routes.push({ prefix: APPROVAL_PREFIX, matches: (path) => DECISIONS_PATH.test(path), handler: decisions });
  if (approvalPage && canServeApprovalPage) {
    routes.push({ prefix: APPROVAL_PREFIX, handler: (req, res) => approvalPage.handler(req, res), checksOrigin: true });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Lets keep-alive connections wind down while the server drains.
    if (draining) res.setHeader("connection", "close");
    // Which replica answered, for whoever debugs the load balancer's routing (probes included).
    res.setHeader("x-retivo-replica", replicaId);
    const path = new URL(req.url ?? "/", "http://placeholder").pathname;
    if (HEALTH_PATHS.has(path)) return health(req, res, path);
    const published = authenticator.publicRoute(path);
    if (published) return published(req, res);
    const extra = routes.find((r) => (r.matches ? r.matches(path) : path.startsWith(r.prefix)));
    const boundary = extra?.checksOrigin ? checkHost(policy, req.headers.host) : checkBrowserBoundary(policy, req);
    if (boundary) return deny(res, boundary);
    if (extra) {
      const denial = extra.requireToken ? (await authenticator.authenticate(req)).denial : undefined;
      if (denial) return deny(res, denial);
      await extra.handler(req, res);
      return;
    }
    if (path !== MCP_PATH) {
      sendJson(res, 404, { error: `Not found: the MCP endpoint is ${MCP_PATH}.` });
      return;
    }
    const authentication = await authenticator.authenticate(req);
    if (authentication.denial) return deny(res, authentication.denial);
    await mcp(req, res, authentication.caller);
  }

  const httpServer = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url }, "HTTP request failed");
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, "Internal error.");
      else res.end();
    });
  });
  // Bound slow uploads; responses (SSE streams) are not affected by these.
  httpServer.headersTimeout = 20_000;
  httpServer.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port ?? config.http.port, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  replicaId ||= defaultReplicaId(port);
  // Clients behind a proxy reach the server by its public name: that Host and origin are its own.
  const publicUrl = config.publicUrl ? [new URL(config.publicUrl)] : [];
  policy = accessPolicy({
    boundHost: host,
    boundPort: port,
    allowedHosts: [...(options.allowedHosts ?? config.http.allowedHosts ?? []), ...publicUrl.map((url) => url.hostname)],
    allowedOrigins: [...(options.allowedOrigins ?? config.http.allowedOrigins), ...publicUrl.map((url) => url.origin)],
    token,
  });
  const base = `http://${urlHost(host)}:${port}`;
  if (oauth) authenticator = oauth.authenticator(`${config.publicUrl ?? base}${MCP_PATH}`);
  registry.startReaper();
  if (approvalPage && canServeApprovalPage) approvalPage.mount(base, config.publicUrl);

  let closing: Promise<void> | undefined;
  return {
    url: `${base}${MCP_PATH}`,
    host,
    port,
    replicaId,
    sessionCount: () => registry.size,
    streamCount: () => registry.streamCount(),
    close(deadlineMs = options.shutdownDeadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS) {
      closing ??= gracefulShutdown(
        {
          httpServer,
          registry,
          logger,
          startDraining: () => {
            draining = true;
          },
          closeRuntime: () => runtime.close(),
        },
        deadlineMs,
      );
      return closing;
    },
  };
}
