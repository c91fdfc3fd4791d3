/**
 * The seeded PRNG behind the demo data set. Kept in its own file because the
 * seed's determinism rests on it alone: every random draw of seed.ts and
 * seed-interventions.ts goes through one Rng, in a fixed order, so the same
 * (seed, tenant) writes the same rows.
 */
import { createHash } from "node:crypto";

/** The tenant is part of the seed: intervention ids are unique across the whole file, and a store may hold several tenants. */
export function prngSeed(seed: number, tenantId: string): number {
  return createHash("sha256").update(`${seed}:${tenantId}`).digest().readUInt32LE(0);
}

/** mulberry32: tiny, fast, and good enough to make demo data look unplanned. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** Two-decimal number in [min, max]: scores read like the product's. */
  score(min: number, max: number): number {
    return round2(min + this.next() * (max - min));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    let roll = this.next() * items.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [item, weight] of items) if ((roll -= weight) < 0) return item;
    return items[items.length - 1]![0];
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  /** A format-valid v4 UUID (version and variant bits set). */
  uuid(): string {
    const bytes = Array.from({ length: 16 }, () => this.int(0, 255));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  /** `int_` + 20 lowercase alphanumerics, as domain.md fixes. */
  interventionId(): string {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    return "int_" + Array.from({ length: 20 }, () => alphabet[this.int(0, alphabet.length - 1)]).join("");
  }
}

/** Two decimals, as the product's scores have. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
