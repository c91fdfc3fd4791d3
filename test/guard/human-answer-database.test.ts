/**
 * answerApproval (src/guard/human-answer.ts) where the database keeps the
 * guard (PostgreSQL after `db init`), in-process so mutation testing sees it:
 * the passphrase is checked inside the database, which records the approval
 * and counts the quorum; a form, a wrong passphrase or a login approves
 * nothing there, and the audit row says whose passphrase the database
 * checked. test/store/database-guard.test.ts drives the same paths through the
 * built CLI and the page. Against the real server only (PGlite has no second
 * role), in a database and with roles of this run's own, dropped afterwards.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerApproval, type HumanAnswer } from "../../src/guard/human-answer.js";
import { attemptPassphrase, hasPassphrase, passphraseInDatabase, setPassphrase } from "../../src/guard/passphrase.js";
import { initDatabase } from "../../src/store/postgres/db-init.js";
import { openStore, type ApprovalTier, type Store } from "../../src/store/index.js";
import { openRequest, plannedIntervention } from "./store-requests.js";
import { HOW_TO_RUN_REAL, REAL_SERVER_URL, startRealServer, type PostgresTarget } from "../store/support/postgres.js";

const PASSPHRASE = "the database keeps this one";
const ALICE = "alice keeps her own key";
const suffix = randomBytes(4).toString("hex");
const roles = { owner: `retivo_h${suffix}_owner`, server: `retivo_h${suffix}_server` };

if (!REAL_SERVER_URL) console.log(`human answers with the database's guard: ${HOW_TO_RUN_REAL}`);

describe.skipIf(!REAL_SERVER_URL)("answering where the database keeps the guard (real PostgreSQL server)", { timeout: 60_000 }, () => {
  let database: PostgresTarget;
  let store: Store;
  let admin: Store;
  let audit: pg.Client;

  beforeAll(async () => {
    database = await startRealServer(REAL_SERVER_URL!);
    const { serverUrl } = await initDatabase(database.url, roles, randomBytes(12).toString("hex"), async () => PASSPHRASE);
    store = await openStore({ dbPath: "", databaseUrl: serverUrl });
    admin = await openStore({ dbPath: "", databaseUrl: database.url });
    audit = new pg.Client({ connectionString: serverUrl });
    await audit.connect();
  }, 120_000);

  afterAll(async () => {
    await audit?.end();
    await store?.close();
    await admin?.close();
    await database?.close();
    const client = new pg.Client({ connectionString: REAL_SERVER_URL });
    await client.connect();
    try {
      for (const role of [roles.server, roles.owner]) await client.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await client.end();
    }
  });

  let serial = 0;
  const newRequest = (tier?: Partial<ApprovalTier>) => openRequest(store, plannedIntervention(`int_dbanswer${suffix}${String(++serial).padStart(4, "0")}`), { tier, ttlMs: 600_000 });

  const answered = async (id: string) =>
    (await audit.query<{ actor: string; detail: Record<string, unknown> }>("SELECT actor, detail::jsonb AS detail FROM audit_log WHERE event = 'approval_answered' AND detail::jsonb ->> 'approval_id' = $1 ORDER BY seq", [id])).rows;
  const approve = (via: HumanAnswer["via"], more: Partial<HumanAnswer> = {}): HumanAnswer => ({ approve: true, via, answer: "approve", clientName: "c", interactive: true, ...more });

  it("finds the single passphrase in the database, and checks it there", async () => {
    expect(await passphraseInDatabase(store)).toBe(true);
    expect(await hasPassphrase(store)).toBe(true);
    expect(await attemptPassphrase(store, "a guess at it", "cli")).toMatchObject({ ok: false, reason: "wrong" });
    expect(await attemptPassphrase(store, PASSPHRASE, "cli")).toEqual({ ok: true });
    // The server's role cannot set one of its own, with or without a current one it does not know.
    await expect(setPassphrase(store, "an agent's own phrase here", new Date(), "a wrong current one")).rejects.toThrow("The current passphrase is wrong; nothing changed.");
    // With the current one it may: the database checks it, then the new one is the one that counts.
    await setPassphrase(store, "a replacement phrase here", new Date(), PASSPHRASE);
    expect(await attemptPassphrase(store, PASSPHRASE, "page")).toMatchObject({ ok: false, reason: "wrong" });
    await setPassphrase(store, PASSPHRASE, new Date(), "a replacement phrase here");
    expect(await attemptPassphrase(store, PASSPHRASE, "page")).toEqual({ ok: true });
  });

  it("approves with the single passphrase through the database, recording the human's channel, and the audit says so", async () => {
    const id = await newRequest();
    expect(await answerApproval(store, id, approve("form"))).toMatchObject({ ok: false, reason: "passphrase_required" });
    expect(await answerApproval(store, id, approve("cli", { passphrase: "not the passphrase" }))).toMatchObject({ ok: false, reason: "wrong_passphrase" });
    expect(await store.approvals.get(id)).toMatchObject({ status: "pending" });

    const outcome = await answerApproval(store, id, approve("cli", { passphrase: PASSPHRASE, note: " checked " }));
    expect(outcome).toEqual({ ok: true, row: expect.objectContaining({ id, status: "approved" }), approvers: ["human:cli"] });
    expect(await store.approvals.decisionsOf(id)).toEqual([expect.objectContaining({ operator: "human:cli", answer: "approve", channel: "cli", note: "checked" })]);
    const [row] = await answered(id);
    expect(row!.actor).toBe("human:cli");
    expect(row!.detail).toMatchObject({ via: "cli", answer: "approve", approved: true, note: "checked", acknowledged_flag: false });
    expect(row!.detail).not.toHaveProperty("vouched_by");
  });

  it("counts the single passphrase once on a two-human request, whatever channel brings it again", async () => {
    const id = await newRequest({ rule: "two", required: 2 });
    expect(await answerApproval(store, id, approve("cli", { passphrase: PASSPHRASE }))).toEqual({ ok: true, row: expect.objectContaining({ status: "pending" }), approvers: ["human:cli"] });
    const [row] = await answered(id);
    expect(row!.detail).toMatchObject({ operator: null, vouched_by: "database passphrase of default", approvals_required: 2 });
    expect(await answerApproval(store, id, approve("page", { passphrase: PASSPHRASE }))).toEqual({
      ok: false,
      reason: "repeated",
      message: `human:page has already decided request ${id}; a second decision by the same operator is not counted. Nothing changed.`,
      row: expect.objectContaining({ id }),
    });
    expect(await store.approvals.get(id)).toMatchObject({ status: "pending" });
  });

  /**
   * The store, with `meanwhile` run through the database's own owner right before the database decides: what
   * another process may do between this process's checks and the database's (a human denying, the policy's
   * exclusion, the passphrase changed or removed).
   */
  const racedBy = (meanwhile: (owner: pg.Client) => Promise<void>): Store => {
    const guard = store.databaseGuard!;
    return {
      ...store,
      databaseGuard: {
        ...guard,
        approve: async (...args: Parameters<typeof guard.approve>) => {
          const owner = new pg.Client({ connectionString: database.url });
          await owner.connect();
          try {
            await meanwhile(owner);
          } finally {
            await owner.end();
          }
          return guard.approve(...args);
        },
      },
    };
  };

  it("says a request answered elsewhere meanwhile was not approved here, with the request as it stands", async () => {
    const id = await newRequest();
    const raced = racedBy((owner) => owner.query("UPDATE approvals SET status = 'denied', answer = 'deny', decided_by = 'human:page', decided_at = $2 WHERE id = $1", [id, new Date().toISOString()]).then(() => undefined));
    expect(await answerApproval(raced, id, approve("cli", { passphrase: PASSPHRASE }))).toEqual({
      ok: false,
      reason: "not_pending",
      message: `Approval request ${id} was answered or expired meanwhile; nothing changed.`,
      row: expect.objectContaining({ id, status: "denied", decided_by: "human:page" }),
    });
    expect(await store.approvals.decisionsOf(id)).toEqual([]);
    expect(await answered(id)).toEqual([]);
  });

  it("asks for a named operator when operators were added between this process's check and the database's", async () => {
    const id = await newRequest();
    const raced = racedBy((owner) => owner.query("INSERT INTO operators (name, passphrase, principal, created_at) VALUES ('zed', NULL, NULL, $1)", [new Date().toISOString()]).then(() => undefined));
    try {
      expect(await answerApproval(raced, id, approve("cli", { passphrase: PASSPHRASE }))).toEqual({
        ok: false,
        reason: "operator_required",
        message: "Named operators were added meanwhile: name the operator who decides (`--as NAME` in the terminal, the operator field on the page). Nothing was recorded.",
        row: expect.objectContaining({ id }),
      });
    } finally {
      const owner = new pg.Client({ connectionString: database.url });
      await owner.connect();
      await owner.query("DELETE FROM operators WHERE name = 'zed'");
      await owner.end();
    }
    expect(await store.approvals.get(id)).toMatchObject({ status: "pending" });
    expect(await store.approvals.decisionsOf(id)).toEqual([]);
  });

  it("approves nothing when the passphrase was changed or removed after this process checked it", async () => {
    const changed = await newRequest();
    const replaced = racedBy(async () => setPassphrase(store, "a phrase set meanwhile", new Date(), PASSPHRASE));
    try {
      expect(await answerApproval(replaced, changed, approve("page", { passphrase: PASSPHRASE }))).toEqual({
        ok: false,
        reason: "wrong_passphrase",
        message: "Wrong passphrase (it changed meanwhile); nothing was approved.",
        row: expect.objectContaining({ id: changed }),
      });
    } finally {
      await setPassphrase(store, PASSPHRASE, new Date(), "a phrase set meanwhile");
    }

    const removed = await newRequest();
    let saved: Record<string, unknown> | undefined;
    const cleared = racedBy(async (owner) => {
      saved = (await owner.query("DELETE FROM retivo_private.operator_passphrases WHERE operator = 'default' RETURNING *")).rows[0] as Record<string, unknown>;
    });
    try {
      expect(await answerApproval(cleared, removed, approve("cli", { passphrase: PASSPHRASE }))).toEqual({
        ok: false,
        reason: "passphrase_required",
        message: "The passphrase was removed meanwhile; nothing was approved.",
        row: expect.objectContaining({ id: removed }),
      });
    } finally {
      const owner = new pg.Client({ connectionString: database.url });
      await owner.connect();
      const columns = Object.keys(saved!);
      await owner.query(`INSERT INTO retivo_private.operator_passphrases (${columns.join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`, Object.values(saved!));
      await owner.end();
    }
    expect(await store.approvals.get(removed)).toMatchObject({ status: "pending" });
    expect(await answerApproval(store, removed, approve("cli", { passphrase: PASSPHRASE }))).toMatchObject({ ok: true });
  });

  it("approves as a named operator with their passphrase checked in the database; a login vouches for nothing there", async () => {
    await admin.operators.add({ name: "alice", passphrase: null, principal: null, created_at: new Date().toISOString() }, { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: "alice" } });
    expect(await admin.databaseGuard!.setPassphrase("alice", null, ALICE, new Date())).toBe(true);

    const id = await newRequest();
    // The single passphrase approves nothing once operators exist.
    expect(await answerApproval(store, id, approve("cli", { passphrase: PASSPHRASE }))).toMatchObject({ ok: false, reason: "operator_required" });
    expect(await answerApproval(store, id, approve("cli", { operator: "alice", passphrase: PASSPHRASE }))).toMatchObject({ ok: false, reason: "wrong_passphrase" });
    expect(await answerApproval(store, id, approve("page", { loggedIn: { operator: "alice", vouchedBy: "oidc:https://id.example" } }))).toMatchObject({ ok: false, reason: "passphrase_required" });
    expect(await store.approvals.get(id)).toMatchObject({ status: "pending" });

    expect(await answerApproval(store, id, approve("page", { operator: "alice", passphrase: ALICE }))).toEqual({ ok: true, row: expect.objectContaining({ status: "approved" }), approvers: ["alice"] });
    expect(await store.approvals.decisionsOf(id)).toEqual([expect.objectContaining({ operator: "alice", channel: "page" })]);
    const [row] = await answered(id);
    expect(row!.actor).toBe("alice");
    expect(row!.detail).toMatchObject({ via: "page", approved: true, operator: "alice", vouched_by: "database passphrase of alice", approvals_required: 1 });
  });
});
