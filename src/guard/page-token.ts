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
import type { Db } from "../backend/local/store.js";

const KEY_NAME = "approval_page_key";
const keys = new WeakMap<Db, Buffer>();

function pageKey(db: Db): Buffer {
  const cached = keys.get(db);
  if (cached) return cached;
  // INSERT OR IGNORE: two processes creating the key at once agree on the first one.
  db.prepare("INSERT OR IGNORE INTO guard_settings (key, value, updated_at) VALUES (?, ?, ?)").run(
    KEY_NAME,
    randomBytes(32).toString("base64"),
    new Date().toISOString(),
  );
  const row = db.prepare("SELECT value FROM guard_settings WHERE key = ?").get(KEY_NAME) as { value: string };
  const key = Buffer.from(row.value, "base64");
  keys.set(db, key);
  return key;
}

function derive(db: Db, purpose: "link" | "csrf", approvalId: string): string {
  return createHmac("sha256", pageKey(db)).update(`${purpose}\n${approvalId}`).digest("base64url");
}

export function pageTokenFor(db: Db, approvalId: string): string {
  return derive(db, "link", approvalId);
}

export function csrfTokenFor(db: Db, approvalId: string): string {
  return derive(db, "csrf", approvalId);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isPageToken(db: Db, approvalId: string, token: string | null | undefined): boolean {
  return !!token && sameSecret(token, pageTokenFor(db, approvalId));
}

export function isCsrfToken(db: Db, approvalId: string, token: string | null | undefined): boolean {
  return !!token && sameSecret(token, csrfTokenFor(db, approvalId));
}
