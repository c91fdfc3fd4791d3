/**
 * The approval page's two cookies, sealed (AES-256-GCM under a key derived
 * from the store's page key, the cookie's name bound in as associated data):
 * the login flow's state, nonce and PKCE verifier while the operator is at
 * the issuer, and then who logged in. Sealed rather than kept in a table, so
 * any replica on the store can finish a login another started, and nothing
 * in them can be read or changed in the browser. Both are HttpOnly,
 * SameSite=Lax (the issuer's redirect back is a cross-site top-level GET;
 * Lax still withholds them from cross-site posts, and the CSRF token stays),
 * scoped to /approvals/ and short-lived; the expiry is also sealed inside.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Store } from "../store/index.js";
import { pageSubkey } from "./page-token.js";

export const FLOW_COOKIE = "retivo_login_flow";
export const SESSION_COOKIE = "retivo_operator";
export const FLOW_TTL_MS = 10 * 60_000;
export const SESSION_TTL_MS = 10 * 60_000;

export async function seal(store: Store, name: string, value: object, now: Date, ttlMs: number): Promise<string> {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", await pageSubkey(store, "cookies"), iv);
  cipher.setAAD(Buffer.from(name));
  const plain = Buffer.from(JSON.stringify({ ...value, exp: now.getTime() + ttlMs }));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64url");
}

/** The sealed value, or undefined when it is missing, forged, cut, for another cookie, or expired. */
export async function unseal<T extends object>(store: Store, name: string, sealed: string | undefined, now: Date): Promise<T | undefined> {
  if (!sealed) return undefined;
  try {
    const bytes = Buffer.from(sealed, "base64url");
    if (bytes.length < 29) return undefined;
    const decipher = createDecipheriv("aes-256-gcm", await pageSubkey(store, "cookies"), bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(bytes.subarray(12, 28));
    const value = JSON.parse(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8")) as T & { exp: number };
    return typeof value.exp === "number" && value.exp > now.getTime() ? value : undefined;
  } catch {
    return undefined;
  }
}

export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of String(req.headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export function setCookie(name: string, value: string, maxAgeMs: number, secure: boolean): string {
  return `${name}=${value}; Path=/approvals/; Max-Age=${Math.floor(maxAgeMs / 1000)}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

export function clearCookie(name: string): string {
  return `${name}=; Path=/approvals/; Max-Age=0; HttpOnly; SameSite=Lax`;
}
