/**
 * Token buckets kept in the store, so every process serving one store (the
 * REST API's replicas behind a balancer) counts against the same budget:
 * `perMinute` requests a minute on average, bursts up to the same number. A
 * refused request is told how long until a token is back. Each take is one
 * read-modify-write under the bucket's named lock.
 */
import type { Tx } from "../sql.js";

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export async function takeToken(tx: Tx, bucket: string, perMinute: number, now: Date): Promise<RateDecision> {
  await tx.lock(`rate:${bucket}`);
  const perMs = perMinute / 60_000;
  const row = await tx.get<{ tokens: number; counted_at: string }>("SELECT tokens, counted_at FROM rate_limit_buckets WHERE bucket = ?", [bucket]);
  // A clock that went back (another replica's, a moment earlier) refills nothing rather than draining the bucket.
  const elapsed = row ? Math.max(0, now.getTime() - Date.parse(row.counted_at)) : 0;
  const available = row ? Math.min(perMinute, Number(row.tokens) + elapsed * perMs) : perMinute;
  const granted = available >= 1;
  await tx.run(
    `INSERT INTO rate_limit_buckets (bucket, tokens, counted_at) VALUES (?, ?, ?)
     ON CONFLICT (bucket) DO UPDATE SET tokens = excluded.tokens, counted_at = excluded.counted_at`,
    [bucket, granted ? available - 1 : available, now.toISOString()],
  );
  return granted ? { ok: true } : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - available) / perMs / 1000)) };
}
