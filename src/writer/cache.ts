/**
 * A small LRU of finished drafts. A dry-run and the create that follows it ask
 * for the same message; the second must not pay for another model call. Keys
 * hold no text, only a hash of what decides the output.
 */
import { canonicalJson } from "../canonical.js";
import { sha256Hex } from "./prompts.js";
import type { WriterInput } from "./types.js";

export const DEFAULT_CACHE_SIZE = 500;

/**
 * `purpose` and `variation_key` do not reach the model's prompt, so they stay
 * out of the key: that is what lets a dry-run's draft serve the create.
 * `client` is set for sampling, whose "model" is each client's own: one
 * client's draft must never be served to another.
 */
export function draftCacheKey(parts: { provider: string; model: string; promptHash: string; input: WriterInput; client?: string }): string {
  const { purpose: _purpose, variation_key: _variation, ...facts } = parts.input;
  const client = parts.client === undefined ? {} : { client: parts.client };
  return sha256Hex(canonicalJson({ provider: parts.provider, model: parts.model, prompt: parts.promptHash, ...client, facts }));
}

export class LruCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(readonly capacity = DEFAULT_CACHE_SIZE) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
