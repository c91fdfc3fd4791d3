/**
 * The approval page's OpenID Connect login, as a relying party of the
 * configured issuer (RETIVO_PAGE_OIDC_*): the authorization code flow with
 * PKCE (S256), a random state and nonce per attempt, the code exchanged at
 * the token endpoint (client_secret_basic for a confidential client), and
 * the ID token verified with jose against the issuer's JWKS: signature
 * (asymmetric only), `iss`, `aud` = our client id, `exp`, and the nonce.
 * The configured claim (or the map over it) names the operator; whether
 * that operator exists is the page's check, at login and at every decision.
 * Metadata is discovered on first use and kept; a failure is retried on the
 * next login.
 */
import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import type { PageLoginConfig } from "../config.js";

export interface LoginStart {
  authorizationUrl: string;
  /** What the callback must see again (sealed in the flow cookie). */
  flow: { state: string; nonce: string; verifier: string };
}

export type LoginResult =
  | { ok: true; operator: string; subject: string; claim: string }
  | { ok: false; message: string };

interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

export interface PageLogin {
  /** The issuer's host, for the "log in with …" link. */
  readonly issuerName: string;
  readonly issuer: string;
  start(redirectUri: string): Promise<LoginStart>;
  finish(params: URLSearchParams, flow: LoginStart["flow"], redirectUri: string): Promise<LoginResult>;
}

const random = () => randomBytes(32).toString("base64url");

export function createPageLogin(config: PageLoginConfig, fetchTimeoutMs = 10_000): PageLogin {
  let discovered: Promise<{ metadata: Metadata; keys: ReturnType<typeof createRemoteJWKSet> }> | undefined;
  const discover = () => {
    discovered ??= (async () => {
      const url = `${config.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
      const response = await fetch(url, { signal: AbortSignal.timeout(fetchTimeoutMs) });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      const metadata = (await response.json()) as Partial<Metadata>;
      if (metadata.issuer !== config.issuer) throw new Error(`${url} names the issuer '${String(metadata.issuer)}', not RETIVO_PAGE_OIDC_ISSUER '${config.issuer}'`);
      if (!metadata.authorization_endpoint || !metadata.token_endpoint || !metadata.jwks_uri) throw new Error(`${url} lacks an authorization, token or jwks endpoint`);
      return { metadata: metadata as Metadata, keys: createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: fetchTimeoutMs }) };
    })();
    discovered.catch(() => (discovered = undefined));
    return discovered;
  };

  const operatorOf = (payload: JWTPayload): LoginResult => {
    const value = payload[config.operatorClaim];
    if (typeof value !== "string" || value === "") {
      return { ok: false, message: `Your sign-in carries no '${config.operatorClaim}' claim (RETIVO_PAGE_OIDC_OPERATOR_CLAIM), so it names no operator.` };
    }
    const operator = config.operatorMap ? config.operatorMap[value] : value;
    if (!operator) return { ok: false, message: `The identity '${value}' is not mapped to an operator (RETIVO_PAGE_OIDC_OPERATOR_MAP).` };
    return { ok: true, operator, subject: payload.sub ?? "", claim: value };
  };

  return {
    issuer: config.issuer,
    issuerName: new URL(config.issuer).host,
    async start(redirectUri) {
      const { metadata } = await discover();
      const flow = { state: random(), nonce: random(), verifier: random() };
      const url = new URL(metadata.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: "code",
        client_id: config.clientId,
        redirect_uri: redirectUri,
        scope: config.scopes,
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: createHash("sha256").update(flow.verifier).digest("base64url"),
        code_challenge_method: "S256",
        prompt: "login",
      }).toString();
      return { authorizationUrl: url.href, flow };
    },
    async finish(params, flow, redirectUri) {
      if (params.get("state") !== flow.state) return { ok: false, message: "The sign-in answer does not belong to this login attempt (state mismatch). Start the login again." };
      const error = params.get("error");
      if (error) return { ok: false, message: `The issuer refused the sign-in: ${error}${params.get("error_description") ? ` (${params.get("error_description")})` : ""}.` };
      const code = params.get("code");
      if (!code) return { ok: false, message: "The issuer sent no authorization code. Start the login again." };
      const { metadata, keys } = await discover();
      const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: flow.verifier, client_id: config.clientId });
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
      if (config.clientSecret) {
        headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString("base64")}`;
      }
      const response = await fetch(metadata.token_endpoint, { method: "POST", headers, body, signal: AbortSignal.timeout(fetchTimeoutMs) });
      const tokens = (await response.json().catch(() => ({}))) as { id_token?: string; error?: string };
      if (!response.ok || !tokens.id_token) return { ok: false, message: `The issuer did not exchange the code for an ID token (${response.status}${tokens.error ? ` ${tokens.error}` : ""}). Start the login again.` };
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(tokens.id_token, keys, { issuer: config.issuer, audience: config.clientId, algorithms: ASYMMETRIC, requiredClaims: ["sub", "exp"] }));
      } catch (cause) {
        return { ok: false, message: `The ID token did not verify: ${(cause as Error).message}. Start the login again.` };
      }
      if (payload.nonce !== flow.nonce) return { ok: false, message: "The ID token was not issued for this login attempt (nonce mismatch). Start the login again." };
      if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== config.clientId) return { ok: false, message: "The ID token was issued to another client (azp). Start the login again." };
      return operatorOf(payload);
    },
  };
}
