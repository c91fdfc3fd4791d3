/**
 * Time for the demo data set: every seeded timestamp is an offset from `now`,
 * written in whole milliseconds, so the same `now` writes the same rows.
 * Shared by seed.ts (tenant, playbooks, customers) and seed-interventions.ts.
 */
export const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export function isoAt(now: Date, offsetMs: number): string {
  return iso(now.getTime() + offsetMs);
}

/** Whole milliseconds, as every stored timestamp is. */
export function iso(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}
