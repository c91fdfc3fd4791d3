/**
 * Proving a named operator by their own passphrase (guard/operators.ts) on a
 * real SQLite store: the name rule every command applies, whether any
 * operator exists, and one throttled try per call, counted on that
 * operator's own counter per channel, with a hash of weaker cost upgraded
 * (and audited) on the next right one.
 */
import { randomBytes, scryptSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { operatorNameProblem, operatorsConfigured, OPERATOR_NAME, proveOperatorByPassphrase } from "../../src/guard/operators.js";
import { LOCKOUT_AFTER, passphraseLockedUntil, passphraseRecord } from "../../src/guard/passphrase.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf } from "../support/sqlite.js";

const ALICE = "alice correct horse";
let store: Store | undefined;
let dir: string | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function storeWith(operators: Record<string, string | null>): Promise<Store> {
  dir = mkdtempSync(join(tmpdir(), "retivo-operators-"));
  store = await openStore({ dbPath: join(dir, "retivo.db") });
  for (const [name, passphrase] of Object.entries(operators)) {
    await store.operators.add({ name, passphrase, principal: null, created_at: new Date().toISOString() }, { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } });
  }
  return store;
}

/** A record as an older release made it: scrypt at N=2^14. */
function weakRecord(passphrase: string): string {
  const salt = randomBytes(16);
  const cost = { N: 2 ** 14, r: 8, p: 1 };
  return JSON.stringify({ algo: "scrypt", ...cost, salt: salt.toString("base64"), hash: scryptSync(passphrase.normalize("NFKC"), salt, 32, { ...cost, maxmem: 64 * 1024 * 1024 }).toString("base64") });
}

const auditEvents = (s: Store) => dbOf(s).prepare("SELECT event, actor, detail FROM audit_log ORDER BY seq").all() as Array<{ event: string; actor: string; detail: string }>;

describe("operator names", () => {
  it("asks for a name, and refuses one that is not short plain lower-case, quoting it on one line", () => {
    expect(operatorNameProblem(undefined)).toBe("Name the operator.");
    expect(operatorNameProblem("")).toBe("Name the operator.");
    for (const good of ["a", "alice", "ops.bob_2-x", `a${"b".repeat(39)}`]) expect(operatorNameProblem(good), good).toBeUndefined();
    for (const bad of ["Alice", "1bob", "-x", "a b", `a${"b".repeat(40)}`, "bob\n", "bob/x"]) {
      expect(operatorNameProblem(bad), bad).toMatch(/^'.*' is not a valid operator name: 1 to 40 characters, lower-case letters, digits, '\.', '_' or '-', starting with a letter\.$/);
    }
    expect(operatorNameProblem("evil\nline")).not.toContain("\n");
    expect(OPERATOR_NAME.test("x".repeat(40))).toBe(true);
  });
});

describe("proving an operator by passphrase", { timeout: 60_000 }, () => {
  it("knows whether any operator is configured", async () => {
    expect(await operatorsConfigured(await storeWith({}))).toBe(false);
    await store!.close();
    expect(await operatorsConfigured(await storeWith({ alice: null }))).toBe(true);
  });

  it("proves the right passphrase, refuses a wrong, a missing one and an unknown name, each on the operator's own counter", async () => {
    const s = await storeWith({ alice: await passphraseRecord(ALICE), bob: null });
    expect(await proveOperatorByPassphrase(s, "mallory", ALICE, "page")).toEqual({ ok: false, reason: "unknown_operator" });
    const wrong = await proveOperatorByPassphrase(s, "alice", "not alice at all", "page");
    expect(wrong).toMatchObject({ ok: false, reason: "wrong", consecutive: 1, lockedUntil: null, operator: { name: "alice" } });
    expect(await proveOperatorByPassphrase(s, "alice", undefined, "page")).toMatchObject({ ok: false, reason: "wrong", consecutive: 2 });
    // Bob has no passphrase: nothing typed can vouch for him, and no counter moves.
    expect(await proveOperatorByPassphrase(s, "bob", ALICE, "page")).toMatchObject({ ok: false, reason: "wrong", consecutive: 0, lockedUntil: null, operator: { name: "bob" } });
    const right = await proveOperatorByPassphrase(s, "alice", ALICE, "page");
    expect(right).toMatchObject({ ok: true, operator: { name: "alice" } });
    // The right one reset alice's page counter: the next wrong one counts from one again.
    expect(await proveOperatorByPassphrase(s, "alice", "still not alice", "page")).toMatchObject({ reason: "wrong", consecutive: 1 });
    // A current-cost hash is never rewritten.
    expect(auditEvents(s).filter((e) => e.event === "operator_passphrase_set")).toEqual([]);
  });

  it("locks one operator on one channel after five wrong ones, leaving the terminal and the others alone", async () => {
    const s = await storeWith({ alice: await passphraseRecord(ALICE), bob: await passphraseRecord("bob battery staple") });
    const now = new Date("2026-12-01T12:00:00.000Z");
    for (let i = 1; i <= LOCKOUT_AFTER; i++) await proveOperatorByPassphrase(s, "alice", "guess guess guess", "page", now);
    expect(await passphraseLockedUntil(s, "page", now, "alice")).toBe("2026-12-01T12:01:00.000Z");
    expect(await proveOperatorByPassphrase(s, "alice", ALICE, "page", now)).toMatchObject({ ok: false, reason: "locked", lockedUntil: "2026-12-01T12:01:00.000Z", operator: { name: "alice" } });
    expect(await passphraseLockedUntil(s, "cli", now, "alice")).toBeUndefined();
    expect(await passphraseLockedUntil(s, "page", now, "bob")).toBeUndefined();
    expect(await passphraseLockedUntil(s, "page", now)).toBeUndefined();
    expect(await proveOperatorByPassphrase(s, "alice", ALICE, "cli", now)).toMatchObject({ ok: true });
    expect(await proveOperatorByPassphrase(s, "bob", "bob battery staple", "page", now)).toMatchObject({ ok: true });
    expect(await proveOperatorByPassphrase(s, "alice", ALICE, "page", new Date(now.getTime() + 60_001))).toMatchObject({ ok: true });
  });

  it("accepts a hash of weaker cost and upgrades it to today's, audited, on the next right entry", async () => {
    const s = await storeWith({ alice: weakRecord(ALICE) });
    expect(await proveOperatorByPassphrase(s, "alice", "wrong wrong wrong", "cli")).toMatchObject({ ok: false, reason: "wrong" });
    expect(JSON.parse((await s.operators.get("alice"))!.passphrase!)).toMatchObject({ N: 2 ** 14 });
    expect(await proveOperatorByPassphrase(s, "alice", ALICE, "cli")).toMatchObject({ ok: true });
    const upgraded = JSON.parse((await s.operators.get("alice"))!.passphrase!);
    expect(upgraded).toMatchObject({ algo: "scrypt", N: 2 ** 17, r: 8, p: 1 });
    const set = auditEvents(s).filter((e) => e.event === "operator_passphrase_set");
    expect(set).toHaveLength(1);
    expect(set[0]!.actor).toBe("system:guard");
    expect(JSON.parse(set[0]!.detail)).toMatchObject({ operator: "alice", upgraded: true });
    expect(await proveOperatorByPassphrase(s, "alice", ALICE, "cli")).toMatchObject({ ok: true });
    expect(auditEvents(s).filter((e) => e.event === "operator_passphrase_set")).toHaveLength(1);
  });
});
