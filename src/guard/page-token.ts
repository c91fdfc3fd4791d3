/**
 * The approval page's link token and CSRF token, derived (HMAC-SHA256) from a
 * random key kept in the store's guard settings. Derived rather than stored:
 * every process on the store (a reconnected client's new server, the page
 * served by another replica) shows the same link for a request, so an agent's
 * repeat call never invalidates the link the human is about to open; the link
 * dies when the request is decided or expires, because the page then serves
 * only the outcome. Anyone who can read the store's files can derive links:
 * the README's same-OS-user limit, no worse than reading the store itself.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Store } from "../store/index.js";

const KEY_NAME = "approval_page_key";
const keys = new WeakMap<Store, Promise<Buffer>>();

/** The store's page key, made once: two processes creating it at once agree on the first one. */
function pageKey(store: Store): Promise<Buffer> {
  let key = keys.get(store);
  if (!key) {
    key = store.guardSettings.settle(KEY_NAME, randomBytes(32).toString("base64"), new Date()).then((value) => Buffer.from(value, "base64"));
    keys.set(store, key);
    key.catch(() => keys.delete(store));
  }
  return key;
}

/** A key of its own for `purpose` (the page's sealed cookies), derived from the same store key. */
export async function pageSubkey(store: Store, purpose: string): Promise<Buffer> {
  return createHmac("sha256", await pageKey(store)).update(`key\n${purpose}`).digest();
}

async function derive(store: Store, purpose: "link" | "csrf", approvalId: string): Promise<string> {
  return createHmac("sha256", await pageKey(store)).update(`${purpose}\n${approvalId}`).digest("base64url");
}

export function pageTokenFor(store: Store, approvalId: string): Promise<string> {
  return derive(store, "link", approvalId);
}

export function csrfTokenFor(store: Store, approvalId: string): Promise<string> {
  return derive(store, "csrf", approvalId);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function isPageToken(store: Store, approvalId: string, token: string | null | undefined): Promise<boolean> {
  return !!token && sameSecret(token, await pageTokenFor(store, approvalId));
}

export async function isCsrfToken(store: Store, approvalId: string, token: string | null | undefined): Promise<boolean> {
  return !!token && sameSecret(token, await csrfTokenFor(store, approvalId));
}
