/**
 * OAuth at start: locate the issuer's keys (configured, or from its metadata)
 * before the server listens, then, once the public URL of /mcp is known,
 * the authenticator bound to it: the audience defaults to that URL, the
 * resource identifier clients ask tokens for (RFC 8707).
 */
import type { OAuthConfig } from "../../../config.js";
import type { Logger } from "../../../log.js";
import type { Authenticator } from "../authenticator.js";
import { oauthAuthenticator } from "./authenticator.js";
import { jwksUrlOf } from "./discovery.js";
import { accessTokenVerifier, type VerifierOptions } from "./verifier.js";

export type OAuthTuning = Pick<VerifierOptions, "clockToleranceSeconds" | "jwksCooldownMs">;

export interface OAuthSetup {
  authenticator(resource: string): Authenticator;
}

export async function oauthFor(config: OAuthConfig, logger: Logger, tuning: OAuthTuning = {}): Promise<OAuthSetup> {
  const jwksUrl = config.jwksUrl ? new URL(config.jwksUrl) : await jwksUrlOf(config.issuer);
  return {
    authenticator(resource) {
      const audience = config.audience ?? resource;
      logger.info({ issuer: config.issuer, audience, resource, jwks: jwksUrl.href }, "MCP endpoint takes OAuth access tokens");
      const verify = accessTokenVerifier({ issuer: config.issuer, audience, jwksUrl, ...tuning });
      return oauthAuthenticator({ issuer: config.issuer, resource, verify, logger });
    },
  };
}
