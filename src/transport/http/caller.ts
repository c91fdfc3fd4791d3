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
  /** SHA-256 of the Authorization header, or 'none': what a session is bound to. */
  credential: string;
}

function fingerprint(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** Call after the bearer check passed: a configured token is then the one presented. */
export function callerOf(req: IncomingMessage, tokenConfigured: boolean): Caller {
  const header = req.headers.authorization;
  const credential = header ? fingerprint(header) : "none";
  return { principal: tokenConfigured && header ? `token:${credential.slice(0, 12)}` : LOCAL_PRINCIPAL, credential };
}

export function attachCaller(req: IncomingMessage, caller: Caller): void {
  const auth: AuthInfo = { token: "", clientId: caller.principal, scopes: [], extra: { principal: caller.principal } };
  (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
}
