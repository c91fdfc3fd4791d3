/**
 * The operator passphrase cannot be guessed by spreading attempts over many
 * requests: five wrong passphrases in a row anywhere (page or CLI, any
 * request) refuse every attempt for a minute, doubling after each further
 * wrong one up to an hour; a correct one resets the count.
 */
import { afterEach, describe, expect, it } from "vitest";
import { actionFactsOf, actionHash, displayFactsOf } from "../../src/guard/action-hash.js";
import { getApproval, insertApproval } from "../../src/guard/approvals-store.js";
import { answerApproval, type AnswerOutcome } from "../../src/guard/human-answer.js";
import { lockoutMs, LOCKOUT_MAX_MS, setPassphrase } from "../../src/guard/passphrase.js";
import { openStore, type Db } from "../../src/backend/local/store.js";
import type { DetailedIntervention } from "../../src/api/schemas.js";

const PASSPHRASE = "correct horse battery";
const MINUTE = 60_000;
let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

const intervention = {
  id: "int_lockout000000000001",
  user_id: "user-1",
  playbook_id: "00000000-0000-4000-8000-000000000001",
  status: "planned",
  channel: "email",
  message_body: "Hi Maya, a quick note.",
  reasoning: "test",
  confidence: 0.7,
  planned_at: "2026-01-01T00:00:00.000Z",
  flagged: false,
  flag_reason: null,
  quality_checks: null,
  version: 1,
} as unknown as DetailedIntervention;

/** A fresh pending request (each one allows five wrong tries of its own), valid for a day. */
function newRequest(store: Db, now: Date): string {
  const facts = actionFactsOf("approve", intervention);
  return insertApproval(store, {
    tenantId: "live",
    facts,
    display: displayFactsOf(intervention),
    hash: actionHash(facts),
    sessionId: "s1",
    client: { name: "test-client", version: "1" },
    channel: "terminal",
    now,
    ttlMs: 24 * 60 * MINUTE,
  }).row.id;
}

function approveWith(store: Db, id: string, passphrase: string, at: Date, via: "page" | "cli" = "page"): Promise<AnswerOutcome> {
  return answerApproval(store, id, { approve: true, via, answer: "approve", note: null, passphrase }, at);
}

const later = (start: Date, ms: number) => new Date(start.getTime() + ms);

describe("global passphrase lockout", () => {
  it("locks every request after five wrong passphrases spread over requests, page and CLI", async () => {
    db = openStore(":memory:");
    await setPassphrase(db, PASSPHRASE);
    const t0 = new Date();
    // One wrong try on each of five requests: no single request reaches its own limit.
    for (let i = 0; i < 5; i++) {
      const outcome = await approveWith(db, newRequest(db, t0), `guess ${i} guess`, t0, i % 2 ? "cli" : "page");
      expect(outcome).toMatchObject({ ok: false, reason: "wrong_passphrase" });
      if (i === 4) expect(outcome.ok || outcome.message).toMatch(/refused until/);
    }
    // Now even the right passphrase, on a fresh request, is refused unchecked for a minute.
    const fresh = newRequest(db, t0);
    const refused = await approveWith(db, fresh, PASSPHRASE, later(t0, 30_000), "cli");
    expect(refused).toMatchObject({ ok: false, reason: "passphrase_throttled" });
    expect(refused.ok || refused.message).toContain(later(t0, MINUTE).toISOString());
    expect(getApproval(db, fresh)).toMatchObject({ status: "pending", failed_attempts: 0 });
    const audited = db.prepare("SELECT detail FROM audit_log WHERE event = 'approval_refused' ORDER BY seq DESC LIMIT 1").pluck().get() as string;
    expect(JSON.parse(audited)).toMatchObject({ reason: "passphrase_throttled", via: "cli", locked_until: later(t0, MINUTE).toISOString() });

    // After the minute, the right one goes through and resets the count.
    expect(await approveWith(db, fresh, PASSPHRASE, later(t0, MINUTE + 1))).toMatchObject({ ok: true });
    const t1 = later(t0, 2 * MINUTE);
    for (let i = 0; i < 4; i++) expect(await approveWith(db, newRequest(db, t1), "wrong wrong", t1)).toMatchObject({ reason: "wrong_passphrase" });
    expect(await approveWith(db, newRequest(db, t1), PASSPHRASE, t1)).toMatchObject({ ok: true });
  });

  it("doubles the lockout after each further wrong passphrase, up to an hour", async () => {
    db = openStore(":memory:");
    await setPassphrase(db, PASSPHRASE);
    let at = new Date();
    for (let i = 0; i < 5; i++) await approveWith(db, newRequest(db, at), "wrong wrong", at);
    // Wrong again as soon as each lockout ends: 1, 2, 4 minutes…
    for (const minutes of [2, 4]) {
      at = later(at, (minutes / 2) * MINUTE + 1);
      expect(await approveWith(db, newRequest(db, at), "wrong wrong", at)).toMatchObject({ reason: "wrong_passphrase" });
      expect(await approveWith(db, newRequest(db, at), PASSPHRASE, later(at, minutes * MINUTE - 1000))).toMatchObject({
        reason: "passphrase_throttled",
      });
    }
    expect(await approveWith(db, newRequest(db, at), PASSPHRASE, later(at, 4 * MINUTE + 1))).toMatchObject({ ok: true });

    expect([4, 5, 6, 7, 10, 11, 12, 40].map(lockoutMs)).toEqual([0, MINUTE, 2 * MINUTE, 4 * MINUTE, 32 * MINUTE, LOCKOUT_MAX_MS, LOCKOUT_MAX_MS, LOCKOUT_MAX_MS]);
  });

  it("counts parallel guesses before checking them, so a burst cannot outrun the counter", async () => {
    db = openStore(":memory:");
    await setPassphrase(db, PASSPHRASE);
    const at = new Date();
    const store = db;
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => approveWith(store, newRequest(store, at), `burst ${i} guess`, at)));
    expect(outcomes.filter((o) => !o.ok && o.reason === "wrong_passphrase")).toHaveLength(5);
    expect(outcomes.filter((o) => !o.ok && o.reason === "passphrase_throttled")).toHaveLength(7);
  });
});
