/**
 * A real OAuth 2.1 authorization server for tests: oidc-provider on a
 * loopback port, issuing real signed JWT access tokens (RFC 9068) through
 * its real token endpoint. Resource indicators (RFC 8707) bind each token's
 * audience to the resource the client names, so a token for another
 * resource is one the provider really minted. Clients use the client
 * credentials grant; their `sub` is their client id, so two tokens of one
 * client are two tokens of one subject.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";

export interface RegisteredClient {
  id: string;
  secret: string;
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
  close(): Promise<void>;
}

const SCOPES = ["interventions:read", "interventions:write"];

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `key-${randomBytes(6).toString("hex")}`, alg: "ES256", use: "sig" };
}

export async function startAuthorizationServer(clients: RegisteredClient[], options: { signingKey?: JWK } = {}): Promise<AuthorizationServer> {
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
      client_secret: client.secret,
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      scope: client.scope,
      // Its only key is an EC key; the RS256 default would make the client metadata invalid.
      id_token_signed_response_alg: "ES256",
    })),
    cookies: { keys: [randomBytes(32).toString("hex")] },
    jwks: { keys },
    scopes: SCOPES,
    ttl: { ClientCredentials: (_ctx, _token, client) => ttlOf(client.clientId) },
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
  let keys = [signingKey];
  let handler = providerWith(keys).callback();
  httpServer.on("request", (req, res) => void handler(req, res));

  return {
    issuer,
    signingKey,
    async rotateKeys() {
      keys = [await newSigningKey(), ...keys];
      handler = providerWith(keys).callback();
    },
    async token(clientId, { resource, scope }) {
      const client = byId.get(clientId);
      if (!client) throw new Error(`no client ${clientId}`);
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
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
}
