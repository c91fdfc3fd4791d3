/**
 * Verifies a JWT access token from the configured authorization server: the
 * signature against its JWKS (fetched once and cached by jose, refetched when
 * a token names a key it has not seen, which is how rotation arrives), `iss`
 * exactly, `aud` containing this resource (a token minted for another
 * resource is refused), `exp` and `nbf` with a small clock tolerance, and a
 * `sub`. Only asymmetric algorithms: a shared-secret (HS*) token would mean
 * anyone holding the secret can mint one.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";

export interface VerifiedToken {
  issuer: string;
  subject: string;
  /** The OAuth client the token was issued to (`client_id`, else `azp`). */
  clientId: string | undefined;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** The token is not acceptable; the message is safe to show the client. */
export class TokenRejected extends Error {}

/** The keys could not be fetched: not the client's fault, so no 401 that would send it to log in again. */
export class KeysUnavailable extends Error {}

export interface VerifierOptions {
  issuer: string;
  audience: string;
  jwksUrl: URL;
  /** Seconds of clock skew accepted on exp and nbf (default 5). */
  clockToleranceSeconds?: number;
  /** Minimum time between two JWKS refetches for unknown keys (jose's default 30 s). */
  jwksCooldownMs?: number;
}

const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

/** RFC 9068's space-separated `scope`, or the `scp` array (or string) some servers (Okta, Entra) send instead. */
function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(" ") : [];
  return list.filter((scope): scope is string => typeof scope === "string" && scope !== "");
}

function rejectionOf(error: errors.JWTClaimValidationFailed): string {
  switch (error.claim) {
    case "aud":
      return "the access token was issued for another resource (its audience is not this server)";
    case "iss":
      return "the access token comes from another issuer than this server trusts";
    case "nbf":
      return "the access token is not valid yet";
    case "sub":
      return "the access token has no subject";
    case "exp":
      return "the access token has no expiry";
    default:
      return `the access token's '${error.claim}' claim is not acceptable`;
  }
}

function classify(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new TokenRejected("the access token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) return new TokenRejected(rejectionOf(error));
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRejected("the access token's signature does not verify against the issuer's keys");
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejected("the access token is signed with an algorithm this server does not accept");
  // The JWKS endpoint timed out, answered non-200 or non-JSON, or the network failed.
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError) || error.code === "ERR_JOSE_GENERIC") {
    return new KeysUnavailable(`the authorization server's keys could not be fetched: ${(error as Error).message}`, { cause: error });
  }
  return new TokenRejected("the access token is not a valid signed JWT");
}

export function accessTokenVerifier(options: VerifierOptions): (token: string) => Promise<VerifiedToken> {
  const keys = createRemoteJWKSet(options.jwksUrl, {
    timeoutDuration: 5_000,
    ...(options.jwksCooldownMs === undefined ? {} : { cooldownDuration: options.jwksCooldownMs }),
  });
  const checks = {
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp", "sub"],
    algorithms: ASYMMETRIC,
  };
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, checks));
    } catch (error) {
      throw classify(error);
    }
    const clientId = typeof payload.client_id === "string" ? payload.client_id : typeof payload.azp === "string" ? payload.azp : undefined;
    return { issuer: options.issuer, subject: payload.sub!, clientId, scopes: scopesOf(payload), expiresAt: payload.exp! };
  };
}
