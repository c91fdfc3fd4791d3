/**
 * OAuth settings of `serve --http` (RETIVO_OAUTH_*, RETIVO_PUBLIC_URL): each
 * bad value stops the start with a message that names it.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";

const BASE = { RETIVO_DB: ":memory:", HOME: "/nonexistent" };
const HTTP = ["serve", "--http"];

function refusal(argv: string[], env: Record<string, string>): string {
  try {
    parseConfig(argv, { ...BASE, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("parseConfig did not throw");
}

describe("OAuth configuration", () => {
  it("takes an issuer, keeps it exactly as written, and leaves audience and keys to start-up", () => {
    const config = parseConfig(HTTP, { ...BASE, RETIVO_OAUTH_ISSUER: "https://tenant.auth.example.com/" });
    expect(config.http.oauth).toEqual({ issuer: "https://tenant.auth.example.com/", audience: undefined, jwksUrl: undefined });
    expect(config.http.token).toBeUndefined();
  });

  it("takes an explicit audience, JWKS URL and public URL (trailing slash dropped)", () => {
    const config = parseConfig([...HTTP, "--host", "0.0.0.0"], {
      ...BASE,
      RETIVO_OAUTH_ISSUER: "https://id.example.com/realms/retivo",
      RETIVO_OAUTH_AUDIENCE: "retivo-mcp",
      RETIVO_OAUTH_JWKS_URL: "https://id.example.com/realms/retivo/protocol/openid-connect/certs",
      RETIVO_PUBLIC_URL: "https://mcp.example.com/",
    });
    expect(config.http.oauth).toEqual({
      issuer: "https://id.example.com/realms/retivo",
      audience: "retivo-mcp",
      jwksUrl: "https://id.example.com/realms/retivo/protocol/openid-connect/certs",
    });
    expect(config.publicUrl).toBe("https://mcp.example.com");
  });

  it("serves off loopback with OAuth instead of a static token, but only with a public URL", () => {
    expect(refusal([...HTTP, "--host", "0.0.0.0"], { RETIVO_OAUTH_ISSUER: "https://id.example.com" })).toMatch(/needs RETIVO_PUBLIC_URL/);
    expect(parseConfig([...HTTP, "--host", "0.0.0.0"], { ...BASE, RETIVO_OAUTH_ISSUER: "https://id.example.com", RETIVO_PUBLIC_URL: "https://mcp.example.com" }).http.oauth?.issuer).toBe(
      "https://id.example.com",
    );
  });

  it("refuses the static token and OAuth together", () => {
    expect(refusal(HTTP, { RETIVO_OAUTH_ISSUER: "https://id.example.com", RETIVO_MCP_TOKEN: "t".repeat(32) })).toMatch(/either RETIVO_MCP_TOKEN .* or RETIVO_OAUTH_ISSUER/);
  });

  it("refuses an audience or JWKS URL without an issuer", () => {
    expect(refusal(HTTP, { RETIVO_OAUTH_AUDIENCE: "https://mcp.example.com/mcp" })).toMatch(/need RETIVO_OAUTH_ISSUER/);
    expect(refusal(HTTP, { RETIVO_OAUTH_JWKS_URL: "https://id.example.com/jwks" })).toMatch(/need RETIVO_OAUTH_ISSUER/);
  });

  it("refuses URLs that do not parse, plain http off loopback, and a public URL with a query", () => {
    expect(refusal(HTTP, { RETIVO_OAUTH_ISSUER: "id.example.com" })).toMatch(/RETIVO_OAUTH_ISSUER must be an absolute URL/);
    expect(refusal(HTTP, { RETIVO_OAUTH_ISSUER: "http://id.example.com" })).toMatch(/RETIVO_OAUTH_ISSUER must be an https:\/\/ URL/);
    expect(parseConfig(HTTP, { ...BASE, RETIVO_OAUTH_ISSUER: "http://127.0.0.1:9000" }).http.oauth?.issuer).toBe("http://127.0.0.1:9000");
    expect(refusal(HTTP, { RETIVO_OAUTH_ISSUER: "https://id.example.com", RETIVO_OAUTH_JWKS_URL: "http://keys.example.com/jwks" })).toMatch(/RETIVO_OAUTH_JWKS_URL must be an https/);
    expect(refusal(HTTP, { RETIVO_PUBLIC_URL: "https://mcp.example.com/?x=1" })).toMatch(/RETIVO_PUBLIC_URL must not carry a query/);
  });

  it("is read by serve over HTTP only: stdio and the operator's CLI ignore an issuer", () => {
    expect(parseConfig(["serve"], { ...BASE, RETIVO_OAUTH_ISSUER: "https://id.example.com", RETIVO_MCP_TOKEN: "t".repeat(32) }).http.oauth).toBeUndefined();
    expect(parseConfig(["approvals"], { ...BASE, RETIVO_OAUTH_ISSUER: "https://id.example.com" }).http.oauth).toBeUndefined();
    // Even bad values: they must not lock the operator out of the CLI.
    expect(parseConfig(["approvals"], { ...BASE, RETIVO_OAUTH_AUDIENCE: "x", RETIVO_OAUTH_ISSUER: "not a url", RETIVO_PUBLIC_URL: "nope" }).publicUrl).toBeUndefined();
  });
});
