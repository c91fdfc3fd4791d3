/**
 * The REST server's bearer keys. Keys are looked up by their SHA-256 digest,
 * so comparing never runs over the key bytes themselves, and the only name a
 * key has anywhere else (logs, audit, responses) is its label.
 */
import { createHash, randomBytes } from "node:crypto";
import { keyModeOf, type KeyMode } from "../config.js";

export interface RestKey {
  /** `rt_test_…a1b2`: the prefix and last four characters, never enough to use. */
  label: string;
  mode: KeyMode;
  /** The data set this key sees: live keys 'live', test keys 'test'. */
  tenant: "live" | "test";
  /**
   * The key's rate-limit bucket in the store: part of its digest, the same on
   * every replica, and distinct for two keys a label cannot tell apart.
   */
  rateBucket: string;
}

export function labelOf(key: string): string {
  const prefix = keyModeOf(key) === "live" ? "rt_live_" : "rt_test_";
  return `${prefix}…${key.slice(-4)}`;
}

/** A fresh test key for a server started without RETIVO_API_KEYS. */
export function generateTestKey(): string {
  return `rt_test_${randomBytes(24).toString("base64url")}`;
}

function digest(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export class KeyRing {
  private readonly byDigest = new Map<string, RestKey>();

  constructor(keys: readonly string[]) {
    for (const key of keys) {
      const mode = keyModeOf(key);
      const hash = digest(key);
      this.byDigest.set(hash, { label: labelOf(key), mode, tenant: mode, rateBucket: `rest:${hash.slice(0, 32)}` });
    }
  }

  get size(): number {
    return this.byDigest.size;
  }

  labels(): RestKey[] {
    return [...this.byDigest.values()];
  }

  /** The key an `Authorization: Bearer …` header presents, if it is one of ours. */
  authenticate(header: string | undefined): RestKey | undefined {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    return match ? this.byDigest.get(digest(match[1]!)) : undefined;
  }
}
