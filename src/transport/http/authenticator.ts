/**
 * How the MCP endpoint tells who is calling and what they may do: one
 * interface, two schemes. The static bearer token (RETIVO_MCP_TOKEN, or
 * nothing on loopback) admits a caller for everything; OAuth (./oauth/)
 * verifies a JWT access token and checks its scopes per message.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { callerOf, type Caller } from "./caller.js";
import { checkBearer, type AccessDenial, type AccessPolicy } from "./security.js";

export type Authentication = { caller: Caller; denial?: undefined } | { caller?: undefined; denial: AccessDenial };

export interface Authenticator {
  /** For the start log line: "none", "bearer" or "oauth". */
  scheme: "none" | "bearer" | "oauth";
  authenticate(req: IncomingMessage): Promise<Authentication>;
  /** A denial (403, step-up) when the caller may not send these messages. */
  authorize(caller: Caller, messages: readonly JSONRPCMessage[]): AccessDenial | undefined;
  /** Public documents (protected resource metadata) answered before any check; undefined when the path is none of them. */
  publicRoute(path: string): ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
}

/** The static token, read from the policy built once the port is known. */
export function staticTokenAuthenticator(policy: () => AccessPolicy): Authenticator {
  return {
    scheme: policy().tokenDigest ? "bearer" : "none",
    authenticate(req) {
      const denial = checkBearer(policy(), req.headers.authorization);
      return Promise.resolve(denial ? { denial } : { caller: callerOf(req, !!policy().tokenDigest) });
    },
    authorize: () => undefined,
    publicRoute: () => undefined,
  };
}
