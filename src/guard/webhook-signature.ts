/**
 * How the approval webhook signs, both ways: HMAC-SHA256 with the shared
 * secret over `<timestamp>.<raw body>`, sent as `x-retivo-signature:
 * v1=<hex>` beside `x-retivo-timestamp: <unix seconds>`. Binding the
 * timestamp into the signature is what lets either side refuse an old
 * message replayed later; the decisions endpoint also refuses a reused
 * nonce, so a replay inside the window fails too.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-retivo-signature";
export const TIMESTAMP_HEADER = "x-retivo-timestamp";
/** The same on every retry of one notice, so a receiver can drop duplicates. */
export const DELIVERY_HEADER = "x-retivo-delivery";

/** How far a signed timestamp may be from this server's clock, either way. */
export const REPLAY_WINDOW_MS = 5 * 60_000;

const SCHEME = "v1=";

export function signatureOf(secret: string, timestamp: string, rawBody: string): string {
  return SCHEME + createHmac("sha256", secret).update(`${timestamp}.${rawBody}`, "utf8").digest("hex");
}

/** Constant-time check of a `v1=<hex>` signature; false for anything malformed. */
export function isValidSignature(secret: string, timestamp: string | undefined, rawBody: string, signature: string | undefined): boolean {
  if (!timestamp || !signature) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, rawBody));
  const given = Buffer.from(signature.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Unix seconds, as the timestamp header carries them. */
export function unixSeconds(now: Date): number {
  return Math.floor(now.getTime() / 1000);
}

/** Whether unix-seconds `timestamp` is within the replay window of `now`. */
export function isFresh(timestamp: number, now: Date): boolean {
  return Number.isSafeInteger(timestamp) && Math.abs(now.getTime() - timestamp * 1000) <= REPLAY_WINDOW_MS;
}

/** Headers of one signed POST of `rawBody` at `now`. */
export function signedHeaders(secret: string, rawBody: string, now: Date, deliveryId?: string): Record<string, string> {
  const timestamp = String(unixSeconds(now));
  return {
    "content-type": "application/json",
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: signatureOf(secret, timestamp, rawBody),
    ...(deliveryId ? { [DELIVERY_HEADER]: deliveryId } : {}),
  };
}
