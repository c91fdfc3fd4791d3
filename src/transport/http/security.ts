/**
 * Who may talk to the MCP endpoint. Three independent checks, in the order a
 * request meets them:
 *
 * 1. Host (DNS rebinding): a browser tricked into resolving evil.example to
 *    127.0.0.1 still sends `Host: evil.example`; only loopback names
 *    (`isLoopbackHost`), the bound address and configured names pass.
 * 2. Origin: absent for non-browser clients (allowed); when present it must be
 *    the server's own origin (`http://<loopback name or bound host>:<port>`) or
 *    configured (RETIVO_ALLOWED_ORIGINS). Any other page, including one on
 *    another loopback port (a dev server at localhost:5173), must never drive
 *    the agent's tools with the user's network position.
 * 3. Bearer token, whenever one is configured, compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isLoopbackHost, parseHostHeader } from "../../config.js";

export interface AccessPolicy {
  /** Lower-case hostnames without port, besides loopback ones; IPv6 in brackets. */
  allowedHostnames: ReadonlySet<string>;
  /** Normalised `scheme://host[:port]` origins allowed: the bound host's own and configured ones. */
  allowedOrigins: ReadonlySet<string>;
  /** The port the server listens on: with a loopback name and http, its own origin. */
  port: number;
  /** SHA-256 of the token; undefined when no token is configured. */
  tokenDigest: Buffer | undefined;
}

export type AccessDenial = { status: 401 | 403 | 503; message: string; headers?: Record<string, string> };

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]"]);

/** `::1` → `[::1]`: the form URL parsing gives a Host header's hostname. */
function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** `HTTP://Example.com:443/` → `http://example.com`; undefined when not an origin. */
export function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

export function accessPolicy(options: {
  boundHost: string;
  boundPort: number;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
  token: string | undefined;
}): AccessPolicy {
  const hostnames = new Set<string>();
  const origins = new Set<string>();
  const bound = bracketed(options.boundHost.toLowerCase());
  if (!WILDCARD_HOSTS.has(bound)) {
    hostnames.add(bound);
    // The server's own origin: a page it serves (the approval page) posts back to it.
    const own = normalizeOrigin(`http://${bound}:${options.boundPort}`);
    if (own) origins.add(own);
  }
  for (const host of options.allowedHosts) hostnames.add(bracketed(host.trim().toLowerCase()));
  for (const origin of options.allowedOrigins) {
    const normalized = normalizeOrigin(origin);
    if (normalized) origins.add(normalized);
  }
  return {
    allowedHostnames: hostnames,
    allowedOrigins: origins,
    port: options.boundPort,
    tokenDigest: options.token ? digest(options.token) : undefined,
  };
}

export function checkHost(policy: AccessPolicy, hostHeader: string | undefined): AccessDenial | undefined {
  if (!hostHeader) return { status: 403, message: "Forbidden: missing Host header." };
  const parsed = parseHostHeader(hostHeader);
  if (!parsed) return { status: 403, message: "Forbidden: malformed Host header." };
  if (isLoopbackHost(parsed.hostname) || policy.allowedHostnames.has(parsed.hostname)) return undefined;
  return {
    status: 403,
    message: `Forbidden: Host '${parsed.hostname}' is not allowed. Behind a proxy, add the public host name to RETIVO_ALLOWED_HOSTS.`,
  };
}

/** `http://<loopback name>:<our port>`: a page this very server served. */
function isOwnLoopbackOrigin(policy: AccessPolicy, origin: URL): boolean {
  const port = origin.port === "" ? 80 : Number(origin.port);
  return origin.protocol === "http:" && port === policy.port && isLoopbackHost(origin.hostname);
}

export function checkOrigin(policy: AccessPolicy, originHeader: string | undefined): AccessDenial | undefined {
  if (originHeader === undefined) return undefined; // non-browser clients send none
  const origin = normalizeOrigin(originHeader);
  if (origin && (policy.allowedOrigins.has(origin) || isOwnLoopbackOrigin(policy, new URL(origin)))) return undefined;
  return {
    status: 403,
    message: `Forbidden: Origin '${originHeader.slice(0, 200)}' is not allowed. Add it to RETIVO_ALLOWED_ORIGINS if this browser client is trusted.`,
  };
}

const CHALLENGE = 'Bearer realm="retivo-mcp"';

export function checkBearer(policy: AccessPolicy, authorization: string | undefined): AccessDenial | undefined {
  if (!policy.tokenDigest) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match?.[1]) {
    return { status: 401, message: "Unauthorized: send 'Authorization: Bearer <RETIVO_MCP_TOKEN>'.", headers: { "www-authenticate": CHALLENGE } };
  }
  // Equal-length digests keep the comparison's time independent of the token's length and content.
  if (!timingSafeEqual(digest(match[1]), policy.tokenDigest)) {
    return {
      status: 401,
      message: "Unauthorized: the bearer token is not valid.",
      headers: { "www-authenticate": `${CHALLENGE}, error="invalid_token"` },
    };
  }
  return undefined;
}

/** Host and Origin: applied to every route that is not a health probe. */
export function checkBrowserBoundary(policy: AccessPolicy, req: IncomingMessage): AccessDenial | undefined {
  return checkHost(policy, req.headers.host) ?? checkOrigin(policy, headerValue(req.headers.origin));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
