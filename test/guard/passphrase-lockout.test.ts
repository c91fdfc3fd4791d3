/**
 * Passphrase guessing is throttled per channel and per request, so it cannot
 * be spread over requests to guess faster, and an agent that can reach the
 * approval page or the REST server cannot lock the human out of their own
 * terminal: five wrong passphrases in a row on one channel refuse attempts
 * there for a minute, doubling up to an hour; five on one request void it.
 * A wrong guess is audited as an unverified attempt, never as a human.
 */
import { afterEach, describe, expect, it } from "vitest";
import { answerApproval, type AnswerOutcome } from "../../src/guard/human-answer.js";
import { attemptPassphrase, lockoutMs, LOCKOUT_MAX_MS, MIN_PASSPHRASE_LENGTH, passphraseRecord, SCRYPT_COST, setPassphrase } from "../../src/guard/passphrase.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf } from "../support/sqlite.js";
import { openRequest, plannedIntervention } from "./store-requests.js";

const PASSPHRASE = "correct horse battery";
const MINUTE = 60_000;
let db: Store | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

const intervention = plannedIntervention("int_lockout000000000001");

/** A fresh pending request (each one allows five wrong tries of its own), valid for a day. */
const newRequest = (store: Store, now: Date) => openRequest(store, intervention, { now });

function approveWith(store: Store, id: string, passphrase: string, at: Date, via: "page" | "cli" = "page"): Promise<AnswerOutcome> {
  return answerApproval(store, id, { approve: true, via, answer: "approve", note: null, passphrase }, at);
}

const later = (start: Date, ms: number) => new Date(start.getTime() + ms);

async function privateStore(): Promise<Store> {
  const store = await openStore({ dbPath: ":memory:" });
  await setPassphrase(store, PASSPHRASE);
  return store;
}

// Each test runs a dozen or more 128 MiB scrypt derivations, one at a time: room for a busy machine.
describe("passphrase throttles", { timeout: 120_000 }, () => {
  it("lets five wrong passphrases on the page lock the page, never the terminal", async () => {
    db = await privateStore();
    const t0 = new Date();
    // One wrong try on each of five requests: no single request reaches its own limit.
    for (let i = 0; i < 5; i++) {
      const outcome = await approveWith(db, await newRequest(db, t0), `guess ${i} guess`, t0, "page");
      expect(outcome).toMatchObject({ ok: false, reason: "wrong_passphrase" });
      if (i === 4) expect(outcome.ok || outcome.message).toMatch(/on the approval page: further attempts there are refused until/);
    }
    // The page now refuses even the right passphrase, unchecked, for a minute…
    const onPage = await newRequest(db, t0);
    const refused = await approveWith(db, onPage, PASSPHRASE, later(t0, 30_000), "page");
    expect(refused).toMatchObject({ ok: false, reason: "passphrase_throttled" });
    expect(refused.ok || refused.message).toMatch(/terminal .* has its own limit and still works/);
    expect(await db.approvals.get(onPage)).toMatchObject({ status: "pending", failed_attempts: 0 });
    // …while the human's terminal is untouched by those guesses.
    expect(await approveWith(db, onPage, PASSPHRASE, later(t0, 30_000), "cli")).toMatchObject({ ok: true });

    // The REST channel has its own counter as well.
    for (let i = 0; i < 5; i++) await attemptPassphrase(db, "wrong wrong wrong", "rest", t0);
    expect(await attemptPassphrase(db, PASSPHRASE, "rest", later(t0, 1000))).toMatchObject({ ok: false, reason: "locked" });
    expect(await approveWith(db, await newRequest(db, t0), PASSPHRASE, later(t0, 1000), "cli")).toMatchObject({ ok: true });

    // After the minute the page takes the right one again, which resets its count.
    expect(await approveWith(db, await newRequest(db, t0), PASSPHRASE, later(t0, MINUTE + 1), "page")).toMatchObject({ ok: true });
  });

  it("audits a wrong passphrase as an unverified attempt on its channel, never as a human", async () => {
    db = await privateStore();
    const at = new Date();
    const id = await newRequest(db, at);
    await approveWith(db, id, "not the passphrase", at, "page");
    await answerApproval(db, id, { approve: true, via: "page", answer: "approve", note: null }, at);
    const rows = dbOf(db).prepare("SELECT actor, detail FROM audit_log WHERE event = 'approval_refused' ORDER BY seq").all() as { actor: string; detail: string }[];
    expect(rows.map((r) => [r.actor, JSON.parse(r.detail).reason])).toEqual([
      ["unverified:page", "wrong_passphrase"],
      ["unverified:page", "passphrase_required"],
    ]);
    expect(rows.some((r) => r.actor.startsWith("human:"))).toBe(false);
  });

  it("voids a request after five wrong passphrases on it, so the agent has to ask anew", async () => {
    db = await privateStore();
    let at = new Date();
    const id = await newRequest(db, at);
    for (let i = 0; i < 4; i++) {
      expect(await approveWith(db, id, `wrong ${i} wrong`, at, i % 2 ? "page" : "cli")).toMatchObject({ reason: "wrong_passphrase" });
      at = later(at, 1);
    }
    const fifth = await approveWith(db, id, "wrong again wrong", at, "page");
    expect(fifth).toMatchObject({ ok: false, reason: "too_many_wrong_passphrases" });
    expect(await db.approvals.get(id)).toMatchObject({ status: "void", outcome: expect.stringMatching(/5 wrong operator passphrases/) });
    expect(await approveWith(db, id, PASSPHRASE, later(at, 1), "cli")).toMatchObject({ ok: false, reason: "not_pending" });
    const voided = dbOf(db).prepare("SELECT actor FROM audit_log WHERE event = 'approval_voided'").pluck().all();
    expect(voided).toEqual(["system:guard"]);
  });

  it("doubles a channel's lockout after each further wrong passphrase, up to an hour", async () => {
    db = await privateStore();
    let at = new Date();
    for (let i = 0; i < 5; i++) await approveWith(db, await newRequest(db, at), "wrong wrong wrong", at);
    // Wrong again as soon as each lockout ends: 1, 2, 4 minutes…
    for (const minutes of [2, 4]) {
      at = later(at, (minutes / 2) * MINUTE + 1);
      expect(await approveWith(db, await newRequest(db, at), "wrong wrong wrong", at)).toMatchObject({ reason: "wrong_passphrase" });
      expect(await approveWith(db, await newRequest(db, at), PASSPHRASE, later(at, minutes * MINUTE - 1000))).toMatchObject({
        reason: "passphrase_throttled",
      });
    }
    expect(await approveWith(db, await newRequest(db, at), PASSPHRASE, later(at, 4 * MINUTE + 1))).toMatchObject({ ok: true });
    expect([4, 5, 6, 7, 10, 11, 12, 40].map(lockoutMs)).toEqual([0, MINUTE, 2 * MINUTE, 4 * MINUTE, 32 * MINUTE, LOCKOUT_MAX_MS, LOCKOUT_MAX_MS, LOCKOUT_MAX_MS]);
  });

  it("counts parallel guesses before checking them, so a burst cannot outrun the counter", async () => {
    db = await privateStore();
    const at = new Date();
    const store = db;
    const outcomes = await Promise.all(Array.from({ length: 12 }, async (_, i) => approveWith(store, await newRequest(store, at), `burst ${i} guess`, at)));
    expect(outcomes.filter((o) => !o.ok && o.reason === "wrong_passphrase")).toHaveLength(5);
    expect(outcomes.filter((o) => !o.ok && o.reason === "passphrase_throttled")).toHaveLength(7);
  });
});

describe("the passphrase itself", () => {
  it("needs at least twelve characters and is hashed with memory-hard scrypt (N=2^17, r=8, p=1)", async () => {
    db = await openStore({ dbPath: ":memory:" });
    expect(MIN_PASSPHRASE_LENGTH).toBe(12);
    await expect(setPassphrase(db, "elevenchars")).rejects.toThrow(/at least 12 characters/);
    await setPassphrase(db, "twelve chars");
    const stored = JSON.parse(dbOf(db).prepare("SELECT value FROM guard_settings WHERE key = 'operator_passphrase'").pluck().get() as string);
    expect(stored).toMatchObject({ algo: "scrypt", N: 2 ** 17, r: 8, p: 1 });
    expect(SCRYPT_COST).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(Buffer.from(stored.salt, "base64")).toHaveLength(16);
    expect(Buffer.from(stored.hash, "base64")).toHaveLength(32);
    expect(JSON.stringify(stored)).not.toContain("twelve chars");
    // A named operator's record is held to the same length.
    await expect(passphraseRecord("elevenchars")).rejects.toThrow(/at least 12 characters/);
    expect(JSON.parse(await passphraseRecord("twelve chars"))).toMatchObject({ algo: "scrypt", N: 2 ** 17, r: 8, p: 1 });
  });

  it("still accepts a hash made with weaker parameters (fewer iterations, or a smaller block), and upgrades it on the next correct entry", async () => {
    const { scryptSync, randomBytes } = await import("node:crypto");
    for (const cost of [
      { N: 2 ** 15, r: 8, p: 1 },
      { N: 2 ** 17, r: 4, p: 1 },
    ]) {
      db = await openStore({ dbPath: ":memory:" });
      const salt = randomBytes(16);
      const old = { algo: "scrypt", ...cost, salt: salt.toString("base64"), hash: scryptSync(PASSPHRASE.normalize("NFKC"), salt, 32, { ...cost, maxmem: 256 * 1024 * 1024 }).toString("base64") };
      dbOf(db).prepare("INSERT INTO guard_settings (key, value, updated_at) VALUES ('operator_passphrase', ?, ?)").run(JSON.stringify(old), new Date().toISOString());
      expect(await attemptPassphrase(db, "wrong wrong wrong", "cli")).toMatchObject({ ok: false });
      expect(await attemptPassphrase(db, PASSPHRASE, "cli")).toEqual({ ok: true });
      const upgraded = JSON.parse(dbOf(db).prepare("SELECT value FROM guard_settings WHERE key = 'operator_passphrase'").pluck().get() as string);
      expect(upgraded, JSON.stringify(cost)).toMatchObject({ N: 2 ** 17, r: 8, p: 1 });
      expect(await attemptPassphrase(db, PASSPHRASE, "cli")).toEqual({ ok: true });
      await db.close();
      db = undefined;
    }
  });
});
