/**
 * The approval page's sealed cookies (src/guard/page-cookies.ts) on a real
 * store's page key: what a browser holds is unreadable and unforgeable, bound
 * to its cookie's name and to its expiry, the same for every process on the
 * store, and the Set-Cookie headers scope it to the page. page-login.test.ts
 * runs the login that uses them against a real OIDC provider.
 */
import type { IncomingMessage } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearCookie, cookieOf, FLOW_COOKIE, FLOW_TTL_MS, seal, SESSION_COOKIE, SESSION_TTL_MS, setCookie, unseal } from "../../src/guard/page-cookies.js";
import { openStore, type Store } from "../../src/store/index.js";

const NOW = new Date("2026-12-01T10:00:00.000Z");
let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-cookies-"));
  store = await openStore({ dbPath: join(dir, "retivo.db") });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as IncomingMessage;

describe("sealed cookies", () => {
  it("open again with the store's key, for their own name, until they expire", async () => {
    const sealed = await seal(store, SESSION_COOKIE, { operator: "alice", issuer: "https://id.example" }, NOW, SESSION_TTL_MS);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    // What the browser holds reads as nothing: neither the value nor its JSON is in the bytes.
    expect(Buffer.from(sealed, "base64url").includes("alice")).toBe(false);
    expect(Buffer.from(sealed, "base64url").includes('"operator"')).toBe(false);
    expect(await unseal(store, SESSION_COOKIE, sealed, NOW)).toEqual({ operator: "alice", issuer: "https://id.example", exp: NOW.getTime() + SESSION_TTL_MS });
    expect(await unseal(store, SESSION_COOKIE, sealed, new Date(NOW.getTime() + SESSION_TTL_MS - 1))).toMatchObject({ operator: "alice" });
    expect(await unseal(store, SESSION_COOKIE, sealed, new Date(NOW.getTime() + SESSION_TTL_MS))).toBeUndefined();
    expect(await unseal(store, FLOW_COOKIE, sealed, NOW)).toBeUndefined();
    // Another process on the same store opens it: the key is the store's.
    const other = await openStore({ dbPath: join(dir, "retivo.db") });
    try {
      expect(await unseal(other, SESSION_COOKIE, sealed, NOW)).toMatchObject({ operator: "alice" });
    } finally {
      await other.close();
    }
  });

  it("refuse what is missing, cut, changed or made up", async () => {
    const sealed = await seal(store, FLOW_COOKIE, { state: "s" }, NOW, FLOW_TTL_MS);
    const bytes = Buffer.from(sealed, "base64url");
    expect(await unseal(store, FLOW_COOKIE, undefined, NOW)).toBeUndefined();
    expect(await unseal(store, FLOW_COOKIE, "", NOW)).toBeUndefined();
    expect(await unseal(store, FLOW_COOKIE, bytes.subarray(0, 28).toString("base64url"), NOW)).toBeUndefined();
    expect(await unseal(store, FLOW_COOKIE, bytes.subarray(0, bytes.length - 1).toString("base64url"), NOW)).toBeUndefined();
    for (const at of [0, 12, 28, bytes.length - 1]) {
      const changed = Buffer.from(bytes);
      changed[at] = changed[at]! ^ 1;
      expect(await unseal(store, FLOW_COOKIE, changed.toString("base64url"), NOW), `byte ${at}`).toBeUndefined();
    }
    expect(await unseal(store, FLOW_COOKIE, "not a sealed value at all, but long enough to read", NOW)).toBeUndefined();
    // Two seals of one value differ (a fresh IV each time).
    expect(await seal(store, FLOW_COOKIE, { state: "s" }, NOW, FLOW_TTL_MS)).not.toBe(sealed);
    expect([FLOW_TTL_MS, SESSION_TTL_MS]).toEqual([600_000, 600_000]);
  });
});

describe("cookie headers", () => {
  it("finds a cookie by its exact name among others", () => {
    expect(cookieOf(request("a=1; retivo_operator=abc.def ; b=2"), SESSION_COOKIE)).toBe("abc.def");
    expect(cookieOf(request("xretivo_operator=1; retivo_operator_2=2"), SESSION_COOKIE)).toBeUndefined();
    expect(cookieOf(request("=retivo_operator; retivo_operator"), SESSION_COOKIE)).toBeUndefined();
    expect(cookieOf(request("retivo_operatorX"), SESSION_COOKIE)).toBeUndefined();
    expect(cookieOf(request("retivo_operator=a=b"), SESSION_COOKIE)).toBe("a=b");
    expect(cookieOf(request(), SESSION_COOKIE)).toBeUndefined();
  });

  it("scopes what it sets to the page, HttpOnly and Lax, Secure behind https, and clears the same way", () => {
    expect(setCookie(SESSION_COOKIE, "v", 600_500, false)).toBe("retivo_operator=v; Path=/approvals/; Max-Age=600; HttpOnly; SameSite=Lax");
    expect(setCookie(FLOW_COOKIE, "v", 1000, true)).toBe("retivo_login_flow=v; Path=/approvals/; Max-Age=1; HttpOnly; SameSite=Lax; Secure");
    expect(clearCookie(FLOW_COOKIE)).toBe("retivo_login_flow=; Path=/approvals/; Max-Age=0; HttpOnly; SameSite=Lax");
  });
});
