/**
 * Where the issuer's signing keys are, when RETIVO_OAUTH_JWKS_URL does not
 * say: its metadata (RFC 8414, or OpenID Connect discovery), found with the
 * SDK's discovery, which tries both well-known forms. Done once at start; a
 * failure stops the start with the URL that failed, since a server that cannot
 * verify any token would only answer 401s.
 */
import { discoverAuthorizationServerMetadata } from "@modelcontextprotocol/sdk/client/auth.js";
import { ConfigError } from "../../../errors.js";

export async function jwksUrlOf(issuer: string): Promise<URL> {
  let metadata;
  try {
    metadata = await discoverAuthorizationServerMetadata(issuer);
  } catch (error) {
    throw new ConfigError(
      `Could not read the metadata of RETIVO_OAUTH_ISSUER ${issuer}: ${(error as Error).message}. Check the issuer URL, or set RETIVO_OAUTH_JWKS_URL.`,
    );
  }
  if (!metadata) {
    throw new ConfigError(
      `RETIVO_OAUTH_ISSUER ${issuer} publishes no metadata at /.well-known/oauth-authorization-server or /.well-known/openid-configuration: check the issuer URL, or set RETIVO_OAUTH_JWKS_URL.`,
    );
  }
  // RFC 8414 §3.3: metadata naming another issuer must not be used (it may be someone else's).
  if (metadata.issuer !== issuer) {
    throw new ConfigError(
      `The metadata found for RETIVO_OAUTH_ISSUER ${issuer} names the issuer '${metadata.issuer}': set RETIVO_OAUTH_ISSUER to exactly the issuer its tokens carry.`,
    );
  }
  if (!metadata.jwks_uri) throw new ConfigError(`The metadata of ${issuer} has no jwks_uri: set RETIVO_OAUTH_JWKS_URL.`);
  return new URL(metadata.jwks_uri);
}
