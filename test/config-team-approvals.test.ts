/**
 * The approval webhook's and the page login's settings: together or not at
 * all, refused with the variable named when wrong, read by `serve` only (a bad
 * value must not block `approvals` or `help`).
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.js";

const ENV = { RETIVO_DB: ":memory:", HOME: "/nonexistent" };
const SECRET = "x".repeat(32);
const serve = (env: Record<string, string>) => parseConfig(["serve", "--http"], { ...ENV, ...env });

describe("RETIVO_APPROVAL_WEBHOOK_*", () => {
  it("takes the URL and the secret together", () => {
    expect(serve({ RETIVO_APPROVAL_WEBHOOK_URL: "https://hooks.example.com/approvals", RETIVO_APPROVAL_WEBHOOK_SECRET: SECRET }).approvalWebhook).toEqual({ url: "https://hooks.example.com/approvals", secret: SECRET });
    expect(serve({}).approvalWebhook).toBeUndefined();
    expect(() => serve({ RETIVO_APPROVAL_WEBHOOK_URL: "https://hooks.example.com/approvals" })).toThrow(/RETIVO_APPROVAL_WEBHOOK_URL and RETIVO_APPROVAL_WEBHOOK_SECRET together/);
    expect(() => serve({ RETIVO_APPROVAL_WEBHOOK_SECRET: SECRET })).toThrow(/together/);
  });

  it("refuses a short or padded secret and a clear-text URL off loopback", () => {
    expect(() => serve({ RETIVO_APPROVAL_WEBHOOK_URL: "https://h.example", RETIVO_APPROVAL_WEBHOOK_SECRET: "x".repeat(31) })).toThrow(/at least 32 characters/);
    expect(() => serve({ RETIVO_APPROVAL_WEBHOOK_URL: "https://h.example", RETIVO_APPROVAL_WEBHOOK_SECRET: ` ${SECRET}` })).toThrow(/whitespace/);
    expect(() => serve({ RETIVO_APPROVAL_WEBHOOK_URL: "http://hooks.example.com/x", RETIVO_APPROVAL_WEBHOOK_SECRET: SECRET })).toThrow(/RETIVO_APPROVAL_WEBHOOK_URL must be an https:\/\/ URL/);
    expect(serve({ RETIVO_APPROVAL_WEBHOOK_URL: "http://127.0.0.1:9/x", RETIVO_APPROVAL_WEBHOOK_SECRET: SECRET }).approvalWebhook?.url).toBe("http://127.0.0.1:9/x");
  });

  it("is not read by the operator's CLI", () => {
    expect(parseConfig(["approvals", "list"], { ...ENV, RETIVO_APPROVAL_WEBHOOK_URL: "nonsense" }).approvalWebhook).toBeUndefined();
  });
});

describe("RETIVO_PAGE_OIDC_*", () => {
  const ISSUER = { RETIVO_PAGE_OIDC_ISSUER: "https://id.example.com/realms/team", RETIVO_PAGE_OIDC_CLIENT_ID: "retivo-approvals" };

  it("defaults the claim to preferred_username and the scopes to openid profile", () => {
    expect(serve(ISSUER).pageLogin).toEqual({ issuer: ISSUER.RETIVO_PAGE_OIDC_ISSUER, clientId: "retivo-approvals", clientSecret: undefined, operatorClaim: "preferred_username", operatorMap: undefined, scopes: "openid profile" });
  });

  it("reads a claim map and a client secret", () => {
    const login = serve({ ...ISSUER, RETIVO_PAGE_OIDC_CLIENT_SECRET: "s", RETIVO_PAGE_OIDC_OPERATOR_CLAIM: "email", RETIVO_PAGE_OIDC_OPERATOR_MAP: "alice@example.com=alice, bob@example.com=bob" }).pageLogin!;
    expect(login.operatorClaim).toBe("email");
    expect(login.clientSecret).toBe("s");
    expect({ ...login.operatorMap }).toEqual({ "alice@example.com": "alice", "bob@example.com": "bob" });
  });

  it("names what is missing or wrong", () => {
    expect(() => serve({ RETIVO_PAGE_OIDC_ISSUER: ISSUER.RETIVO_PAGE_OIDC_ISSUER })).toThrow(/RETIVO_PAGE_OIDC_ISSUER and RETIVO_PAGE_OIDC_CLIENT_ID/);
    expect(() => serve({ ...ISSUER, RETIVO_PAGE_OIDC_ISSUER: "http://id.example.com" })).toThrow(/RETIVO_PAGE_OIDC_ISSUER must be an https:\/\/ URL/);
    expect(() => serve({ ...ISSUER, RETIVO_PAGE_OIDC_SCOPES: "profile email" })).toThrow(/must include 'openid'/);
    expect(() => serve({ ...ISSUER, RETIVO_PAGE_OIDC_OPERATOR_MAP: "alice" })).toThrow(/claim=operator pairs.*'alice' is not one/);
  });
});
