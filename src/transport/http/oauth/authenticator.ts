/**
 * OAuth 2.1 resource server for /mcp, as the MCP authorization spec asks: a
 * request without a token, or with one that does not verify, gets 401 with
 * `WWW-Authenticate: Bearer resource_metadata="…"` so the client can find
 * the authorization server; one whose token lacks a scope the message needs
 * gets 403 `error="insufficient_scope"` naming the scopes to ask for (those
 * the token already has plus the missing ones, so stepping up loses nothing).
 */
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../../log.js";
import type { Authenticator } from "../authenticator.js";
import { oauthCaller } from "../caller.js";
import type { AccessDenial } from "../security.js";
import { resourceMetadataOf, resourceMetadataPathsOf, resourceMetadataUrlOf, sendResourceMetadata } from "./resource-metadata.js";
import { READ_SCOPE, requiredScopesOf, SUPPORTED_SCOPES } from "./scopes.js";
import { KeysUnavailable, TokenRejected, type VerifiedToken } from "./verifier.js";

export interface OAuthAuthenticatorOptions {
  issuer: string;
  /** The MCP endpoint's public URL. */
  resource: string;
  verify: (token: string) => Promise<VerifiedToken>;
  logger: Logger;
}

/** A quoted-string parameter of a challenge: no quote or backslash can end it early. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, "'")}"`;
}

export function oauthAuthenticator(options: OAuthAuthenticatorOptions): Authenticator {
  const metadataUrl = resourceMetadataUrlOf(options.resource);
  const metadataPaths = resourceMetadataPathsOf(options.resource);
  const document = resourceMetadataOf({ resource: options.resource, issuer: options.issuer });

  function challenge(params: Record<string, string>): string {
    const all = { ...params, resource_metadata: metadataUrl };
    return `Bearer ${Object.entries(all)
      .map(([key, value]) => `${key}=${quoted(value)}`)
      .join(", ")}`;
  }

  function unauthorized(message: string, params: Record<string, string>): { denial: AccessDenial } {
    return { denial: { status: 401, message: `Unauthorized: ${message}`, headers: { "www-authenticate": challenge(params) } } };
  }

  return {
    scheme: "oauth",
    async authenticate(req) {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
      // Without a token, the baseline every session needs; writing is a step-up when a write is first tried.
      if (!token) return unauthorized(`send an OAuth access token from ${options.issuer} ('Authorization: Bearer <token>').`, { scope: READ_SCOPE });
      try {
        return { caller: oauthCaller(await options.verify(token)) };
      } catch (error) {
        if (error instanceof TokenRejected) {
          // Debug only: anyone can send a bad token, but an operator wiring up an issuer wants to see why.
          options.logger.debug({ reason: error.message }, "refused an OAuth access token");
          return unauthorized(`${error.message}.`, { error: "invalid_token", error_description: error.message });
        }
        if (error instanceof KeysUnavailable) {
          options.logger.warn({ err: error, issuer: options.issuer }, "cannot verify OAuth access tokens: the issuer's keys are unreachable");
          return { denial: { status: 503, message: "Service Unavailable: the authorization server's keys cannot be fetched right now; retry in a moment.", headers: { "retry-after": "5" } } };
        }
        throw error;
      }
    },
    authorize(caller, messages: readonly JSONRPCMessage[]) {
      const granted = new Set(caller.scopes ?? []);
      const required = requiredScopesOf(messages);
      const missing = required.filter((scope) => !granted.has(scope));
      if (missing.length === 0) return undefined;
      const ask = SUPPORTED_SCOPES.filter((scope) => granted.has(scope) || required.includes(scope));
      const description = `this request needs the scope ${missing.join(" ")}`;
      return {
        status: 403,
        message: `Forbidden: ${description}; ask the authorization server for a token with scope '${ask.join(" ")}'.`,
        headers: { "www-authenticate": challenge({ error: "insufficient_scope", scope: ask.join(" "), error_description: description }) },
      };
    },
    publicRoute(path) {
      return metadataPaths.has(path) ? (req, res) => sendResourceMetadata(res, req.method, document) : undefined;
    },
  };
}
