/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): what a client fetches
 * after a 401 to learn which authorization server issues tokens for this
 * server and which scopes exist. Served at the path-suffixed well-known URL of
 * the MCP endpoint (/.well-known/oauth-protected-resource/mcp, the one the 401
 * challenge names) and, for clients that only try it, at the bare well-known
 * URL, with the same document: this server has one protected resource, the MCP
 * endpoint. Public and static, so any origin may read it.
 */
import type { ServerResponse } from "node:http";
import type { OAuthProtectedResourceMetadata } from "@modelcontextprotocol/sdk/shared/auth.js";
import { SUPPORTED_SCOPES } from "./scopes.js";

export const RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

export interface ProtectedResource {
  /** The MCP endpoint's public URL: the resource identifier clients ask tokens for (RFC 8707). */
  resource: string;
  issuer: string;
}

/** The well-known URL for a resource: the resource's path appended to the well-known path, on its origin. */
export function resourceMetadataUrlOf(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/+$/, "");
  return `${url.origin}${RESOURCE_METADATA_PATH}${path}`;
}

/** The paths this server answers the metadata on. */
export function resourceMetadataPathsOf(resource: string): Set<string> {
  return new Set([RESOURCE_METADATA_PATH, new URL(resourceMetadataUrlOf(resource)).pathname]);
}

export function resourceMetadataOf(protectedResource: ProtectedResource): OAuthProtectedResourceMetadata {
  return {
    resource: protectedResource.resource,
    authorization_servers: [protectedResource.issuer],
    scopes_supported: [...SUPPORTED_SCOPES],
    bearer_methods_supported: ["header"],
    resource_name: "Retivo interventions (retivo-mcp)",
  };
}

export function sendResourceMetadata(res: ServerResponse, method: string | undefined, document: OAuthProtectedResourceMetadata): void {
  const cors = { "access-control-allow-origin": "*", "access-control-allow-methods": "GET, OPTIONS" };
  if (method === "OPTIONS") {
    res.writeHead(204, cors).end();
    return;
  }
  if (method !== "GET" && method !== "HEAD") {
    res.writeHead(405, { allow: "GET, OPTIONS", ...cors }).end();
    return;
  }
  const body = JSON.stringify(document);
  res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=3600", ...cors });
  res.end(method === "HEAD" ? undefined : body);
}
