/**
 * Who is calling over HTTP, established once per request from its credential:
 * the principal that approval requests belong to (the bearer token's
 * identity; 'local' when no token is configured, as over stdio), and a
 * fingerprint of the credential a session is bound to, so a request that
 * carries a session id with another credential (or none) finds no session.
 * Tool handlers read the principal from `extra.authInfo`, which the SDK
 * transport fills from `req.auth`; the token itself is never put there.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { LOCAL_PRINCIPAL } from "../../guard/types.js";

export interface Caller {
  principal: string;
  /**
   * What a session is bound to: SHA-256 of the static token (or 'none'), or
   * for OAuth of the principal, so a client that refreshes its access token
   * keeps its session while another subject's token finds none.
   */
  credential: string;
  /** Granted OAuth scopes; undefined when the credential is not scoped (static token, none). */
  scopes?: readonly string[];
  /** The OAuth client the token was issued to. */
  clientId?: string;
  /** When the access token expires, seconds since the epoch. */
  expiresAt?: number;
}

function fingerprint(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/**
 * The credential is the bearer token itself, however the header spells it
 * (`Bearer T`, `bearer   T `): one token is one principal and one binding.
 * Call after the bearer check passed: a configured token is then the one
 * presented.
 */
export function callerOf(req: IncomingMessage, tokenConfigured: boolean): Caller {
  const header = req.headers.authorization;
  const token = header ? (/^\s*Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? header.trim()) : undefined;
  const credential = token ? fingerprint(token) : "none";
  return { principal: tokenConfigured && token ? `token:${credential.slice(0, 12)}` : LOCAL_PRINCIPAL, credential };
}

/**
 * An OAuth subject is `oauth:<issuer>:<sub>`: the same human (or client, for
 * client credentials) across tokens, sessions and replicas, and never the
 * same as a subject of another issuer.
 */
export function oauthCaller(token: { issuer: string; subject: string; clientId: string | undefined; scopes: string[]; expiresAt: number }): Caller {
  const principal = `oauth:${token.issuer}:${token.subject}`;
  return {
    principal,
    credential: fingerprint(principal),
    scopes: token.scopes,
    expiresAt: token.expiresAt,
    ...(token.clientId === undefined ? {} : { clientId: token.clientId }),
  };
}

export function attachCaller(req: IncomingMessage, caller: Caller): void {
  const auth: AuthInfo = {
    token: "",
    clientId: caller.clientId ?? caller.principal,
    scopes: [...(caller.scopes ?? [])],
    ...(caller.expiresAt === undefined ? {} : { expiresAt: caller.expiresAt }),
    extra: { principal: caller.principal },
  };
  (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
}
