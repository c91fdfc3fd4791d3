/**
 * The single operator passphrase on a real SQLite store (guard/passphrase.ts),
 * the parts the lockout tests leave: whether one is set, what setting a short
 * one leaves behind, that no passphrase set means no question asked, the
 * lockout's length at each count and the instant it ends, and that the same
 * passphrase typed in another Unicode form still opens.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { attemptPassphrase, hasPassphrase, lockoutMs, LOCKOUT_AFTER, LOCKOUT_FIRST_MS, LOCKOUT_MAX_MS, passphraseInDatabase, passphraseLockedUntil, passphraseRecord, setPassphrase } from "../../src/guard/passphrase.js";
import { openStore, type Store } from "../../src/store/index.js";

let store: Store | undefined;
let dir: string | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function freshStore(): Promise<Store> {
  dir = mkdtempSync(join(tmpdir(), "retivo-passphrase-"));
  store = await openStore({ dbPath: join(dir, "retivo.db") });
  return store;
}

const MINUTE = 60_000;

describe("the lockout's length", () => {
  it("is nothing before the fifth wrong one, a minute at it, doubling to an hour and staying there", () => {
    expect([LOCKOUT_AFTER, LOCKOUT_FIRST_MS, LOCKOUT_MAX_MS]).toEqual([5, MINUTE, 60 * MINUTE]);
    expect([0, 1, 4].map(lockoutMs)).toEqual([0, 0, 0]);
    expect([5, 6, 7, 10, 11, 12, 40, 1000].map(lockoutMs)).toEqual([MINUTE, 2 * MINUTE, 4 * MINUTE, 32 * MINUTE, 60 * MINUTE, 60 * MINUTE, 60 * MINUTE, 60 * MINUTE]);
  });
});

describe("the single operator passphrase", { timeout: 60_000 }, () => {
  it("asks nothing while none is set, and a short one is refused with nothing stored", async () => {
    const s = await freshStore();
    expect(await hasPassphrase(s)).toBe(false);
    expect(await passphraseInDatabase(s)).toBe(false);
    expect(await attemptPassphrase(s, undefined, "page")).toEqual({ ok: true });
    await expect(setPassphrase(s, "eleven char")).rejects.toThrow("The passphrase must have at least 12 characters.");
    await expect(passphraseRecord("eleven char")).rejects.toThrow("The passphrase must have at least 12 characters.");
    expect(await hasPassphrase(s)).toBe(false);
    expect(await attemptPassphrase(s, "anything at all", "page")).toEqual({ ok: true });
  });

  it("once set, refuses a missing or wrong one, opens for the same text in another Unicode form, and resets the count", async () => {
    const s = await freshStore();
    const now = new Date("2026-12-01T12:00:00.000Z");
    // "ﬁ" (the ligature) and "fi" are the same passphrase once normalized (NFKC).
    await setPassphrase(s, "ﬁve long words here", now);
    expect(await hasPassphrase(s)).toBe(true);
    expect(await attemptPassphrase(s, undefined, "page", now)).toEqual({ ok: false, reason: "wrong", consecutive: 1, lockedUntil: null });
    expect(await attemptPassphrase(s, "", "page", now)).toEqual({ ok: false, reason: "wrong", consecutive: 2, lockedUntil: null });
    expect(await attemptPassphrase(s, "five long words herE", "page", now)).toEqual({ ok: false, reason: "wrong", consecutive: 3, lockedUntil: null });
    expect(await attemptPassphrase(s, "five long words here", "page", now)).toEqual({ ok: true });
    expect(await attemptPassphrase(s, "nope nope nope", "page", now)).toMatchObject({ consecutive: 1 });
  });

  it("ends a lockout exactly when it says, not a millisecond before", async () => {
    const s = await freshStore();
    const now = new Date("2026-12-01T12:00:00.000Z");
    await setPassphrase(s, "the right passphrase", now);
    for (let i = 1; i < LOCKOUT_AFTER; i++) expect(await attemptPassphrase(s, "x", "rest", now)).toMatchObject({ reason: "wrong", lockedUntil: null });
    expect(await attemptPassphrase(s, "x", "rest", now)).toEqual({ ok: false, reason: "wrong", consecutive: 5, lockedUntil: "2026-12-01T12:01:00.000Z" });
    const justBefore = new Date(now.getTime() + MINUTE - 1);
    const atTheEnd = new Date(now.getTime() + MINUTE);
    expect(await passphraseLockedUntil(s, "rest", justBefore)).toBe("2026-12-01T12:01:00.000Z");
    expect(await attemptPassphrase(s, "the right passphrase", "rest", justBefore)).toEqual({ ok: false, reason: "locked", lockedUntil: "2026-12-01T12:01:00.000Z" });
    expect(await passphraseLockedUntil(s, "rest", atTheEnd)).toBeUndefined();
    // The sixth wrong one in a row, after the first lockout ended, locks for twice as long.
    expect(await attemptPassphrase(s, "x", "rest", atTheEnd)).toEqual({ ok: false, reason: "wrong", consecutive: 6, lockedUntil: "2026-12-01T12:03:00.000Z" });
  });
});
