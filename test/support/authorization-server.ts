/**
 * A real OAuth 2.1 authorization server for tests: oidc-provider on a
 * loopback port, issuing real signed JWT access tokens (RFC 9068) through
 * its real token endpoint. Resource indicators (RFC 8707) bind each token's
 * audience to the resource the client names, so a token for another
 * resource is one the provider really minted. Machine clients use the
 * client credentials grant (their `sub` is their client id, so two tokens of
 * one client are two tokens of one subject); interactive clients the
 * authorization code flow with PKCE, where `login()` plays the human's
 * browser: it follows the provider's redirects, signs in on its login page as
 * a named account, and returns the code the provider sends to the client's
 * redirect URI. Each account grants at most its own scopes, as a human
 * consenting would.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";

export interface RegisteredClient {
  id: string;
  /**
   * A confidential client: with `redirectUri`, a web app signing people in
   * (authorization code + PKCE, client_secret_basic, like the approval
   * page's login); without, a machine (client credentials). Without a
   * secret, a public client with PKCE and `redirectUri`.
   */
  secret?: string;
  redirectUri?: string;
  /** The scopes this client may be granted, space-separated. */
  scope: string;
  /** Access token lifetime in seconds (default 600). */
  tokenTtlSeconds?: number;
}

export interface AuthorizationServer {
  issuer: string;
  /** Its private signing key, for a second provider that signs with the same key under another issuer. */
  signingKey: JWK;
  /** Key rotation as an operator does it: a new signing key, the old one still published. */
  rotateKeys(): Promise<void>;
  /** A client credentials token for `resource`, asking for `scope` (what the client may have when omitted). */
  token(clientId: string, options: { resource: string; scope?: string }): Promise<string>;
  /** The human's browser: from the authorization URL to the code at the redirect URI, signed in as `account`. */
  login(authorizationUrl: URL, account: string): Promise<string>;
  close(): Promise<void>;
}

const SCOPES = ["interventions:read", "interventions:write"];

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `key-${randomBytes(6).toString("hex")}`, alg: "ES256", use: "sig" };
}

export interface AuthorizationServerOptions {
  signingKey?: JWK;
  /** Accounts a human can sign in as, with the scopes each may grant. */
  accounts?: Record<string, string>;
  /** Claims of an account's ID token besides `sub` (default: `preferred_username` is the account's name). */
  claims?: Record<string, Record<string, string>>;
}

export async function startAuthorizationServer(clients: RegisteredClient[], options: AuthorizationServerOptions = {}): Promise<AuthorizationServer> {
  const httpServer: Server = createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const signingKey = options.signingKey ?? (await newSigningKey());
  const byId = new Map(clients.map((client) => [client.id, client]));
  const ttlOf = (clientId: string) => byId.get(clientId)?.tokenTtlSeconds ?? 600;

  // A provider signs with the first key and publishes all of them.
  const providerWith = (keys: JWK[]) => new Provider(issuer, {
    clients: clients.map((client) => ({
      client_id: client.id,
      ...(client.secret && client.redirectUri
        ? { client_secret: client.secret, grant_types: ["authorization_code"], response_types: ["code"], redirect_uris: [client.redirectUri], token_endpoint_auth_method: "client_secret_basic" }
        : client.secret
        ? { client_secret: client.secret, grant_types: ["client_credentials"], response_types: [], redirect_uris: [] }
        : { token_endpoint_auth_method: "none", grant_types: ["authorization_code"], response_types: ["code"], redirect_uris: [client.redirectUri!], application_type: "native" }),
      scope: client.scope,
      // Its only key is an EC key; the RS256 default would make the client metadata invalid.
      id_token_signed_response_alg: "ES256",
    })),
    cookies: { keys: [randomBytes(32).toString("hex")] },
    jwks: { keys },
    scopes: SCOPES,
    ttl: { ClientCredentials: (_ctx, _token, client) => ttlOf(client.clientId) },
    findAccount: (_ctx, id) => (accounts[id] === undefined ? undefined : { accountId: id, claims: () => ({ sub: id, ...(options.claims?.[id] ?? { preferred_username: id }) }) }),
    claims: { openid: ["sub"], profile: ["preferred_username", "email"] },
    // Keycloak, Auth0 and Entra put the profile claims in the ID token itself; so does this one.
    conformIdTokenClaims: false,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Every resource is known here: the test decides which one a token is for.
        getResourceServerInfo: (_ctx, resourceIndicator, client) => ({
          scope: SCOPES.join(" "),
          audience: resourceIndicator,
          accessTokenTTL: ttlOf(client.clientId),
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "ES256" } },
        }),
      },
    },
  });
  const accounts = options.accounts ?? {};
  let keys = [signingKey];
  let provider = providerWith(keys);
  let handler = provider.callback();

  /** The login page's form post: sign in, consent to what the account may grant of what was asked, back to the provider. */
  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const account = new URLSearchParams(await bodyOf(req)).get("account") ?? "";
    const details = await provider.interactionDetails(req, res);
    const allowed = new Set((accounts[account] ?? "").split(" "));
    const asked = String(details.params.scope ?? "").split(" ");
    const granted = asked.filter((scope) => allowed.has(scope)).join(" ");
    const grant = new provider.Grant({ accountId: account, clientId: String(details.params.client_id) });
    // The provider knows the two scopes as its own too (`scopes`), so they are consented to on both levels.
    // What the account may not grant is declined, so the token carries less than was asked, as after a human's partial consent.
    const declined = asked.filter((scope) => !allowed.has(scope)).join(" ");
    grant.addOIDCScope(granted);
    if (declined) grant.rejectOIDCScope(declined);
    for (const resource of [details.params.resource ?? []].flat().map(String)) {
      grant.addResourceScope(resource, granted);
      if (declined) grant.rejectResourceScope(resource, declined);
    }
    await provider.interactionFinished(req, res, { login: { accountId: account }, consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: false });
  }

  httpServer.on("request", (req, res) => {
    // The login page a browser sees: one field, the account to sign in as.
    if (req.method === "GET" && req.url?.startsWith("/interaction/")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(
        `<!DOCTYPE html><title>Sign in</title><form method="post"><label>Account <input name="account" autofocus></label><button type="submit">Sign in</button></form>`,
      );
      return;
    }
    if (req.method === "POST" && req.url?.startsWith("/interaction/")) {
      signIn(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
      return;
    }
    void handler(req, res);
  });

  return {
    issuer,
    signingKey,
    async rotateKeys() {
      keys = [await newSigningKey(), ...keys];
      provider = providerWith(keys);
      handler = provider.callback();
    },
    async token(clientId, { resource, scope }) {
      const client = byId.get(clientId);
      if (!client?.secret) throw new Error(`no confidential client ${clientId}`);
      const response = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`,
        },
        body: new URLSearchParams({ grant_type: "client_credentials", resource, scope: scope ?? client.scope }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!response.ok || !body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async login(authorizationUrl, account) {
      const cookies = new Map<string, string>();
      let next = new URL(authorizationUrl);
      let body: string | undefined;
      for (let hop = 0; hop < 10; hop++) {
        const response = await fetch(next, {
          method: body === undefined ? "GET" : "POST",
          redirect: "manual",
          headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; "), ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }) },
          ...(body === undefined ? {} : { body }),
        });
        for (const cookie of response.headers.getSetCookie()) {
          const [pair] = cookie.split(";");
          const at = pair!.indexOf("=");
          cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
        }
        const location = response.headers.get("location");
        if (!location) throw new Error(`the provider stopped at ${next.pathname} with ${response.status}: ${(await response.text()).slice(0, 300)}`);
        next = new URL(location, next);
        if (next.origin !== issuer) {
          const code = next.searchParams.get("code");
          if (!code) throw new Error(`no code at the redirect URI: ${next.href}`);
          return code;
        }
        // The login page: the human signs in (a form post), everything else is a redirect to follow.
        body = next.pathname.startsWith("/interaction/") ? new URLSearchParams({ account }).toString() : undefined;
      }
      throw new Error("too many redirects");
    },
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
}
