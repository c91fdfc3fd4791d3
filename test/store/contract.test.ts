/**
 * The store contract: the same cases on every engine (support/engines.ts),
 * with two engines on one store wherever the case is a race between two
 * processes or replicas. What the port promises, it promises on each:
 * compare-and-set transitions, approvals spent once and only for the state
 * approved, each due delivery and abandoned claim taken once, one unbroken
 * audit chain, idempotent creates, the same page order as SQLite, and the
 * guard's read-modify-write settings serialised.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDataSet } from "../../src/backend/local/seed.js";
import { actionFactsOf, actionHash, displayFactsOf } from "../../src/domain/action-hash.js";
import { ApprovalRefusedError, ConflictError } from "../../src/errors.js";
import { newInterventionId, toIntervention, type InterventionRow, type Store } from "../../src/store/index.js";
import { openPostgresEngine } from "../../src/store/postgres/index.js";
import { ENGINE_KINDS, roundTripsOf, type Opened, type StoreUnderTest } from "./support/engines.js";
import { HOW_TO_RUN_REAL, REAL_SERVER_URL } from "./support/postgres.js";

if (!REAL_SERVER_URL) console.warn(HOW_TO_RUN_REAL);

const NOW = new Date("2026-03-02T10:00:00.000Z");
const LATER = new Date("2026-03-09T10:00:00.000Z");
/** Two dispatchers' lease terms, one per engine in the two-engine cases. */
const LEASE_A = { owner: "dispatcher-a", ms: 60_000 };
const LEASE_B = { owner: "dispatcher-b", ms: 60_000 };
let tenants = 0;

/** A fresh demo tenant (200 customers, 60 interventions in every status), its id unique in this run. */
async function seededTenant(store: Store, tenantId = `t${++tenants}_${Date.now().toString(36)}`): Promise<string> {
  const { data } = demoDataSet({ tenantId, seed: 42, now: NOW });
  expect(await store.seed.seedTenant(data, NOW)).toBe(true);
  return tenantId;
}

async function rowsIn(store: Store, tenantId: string, status: string): Promise<InterventionRow[]> {
  const page = await store.interventions.list(tenantId, { limit: 100, status: status as never });
  return Promise.all(page.interventions.map(async (i) => (await store.interventions.get(tenantId, i.id))!));
}

/** Every page of a listing, walking the cursors. */
async function allPages(store: Store, tenantId: string, query: Record<string, unknown>, compact: boolean): Promise<unknown[][]> {
  const pages: unknown[][] = [];
  let cursor: string | undefined;
  do {
    const q = { limit: 7, ...query, ...(cursor ? { cursor } : {}) } as never;
    const page = compact ? await store.interventions.listCompact(tenantId, q) : await store.interventions.list(tenantId, q);
    pages.push(page.interventions);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return pages;
}

const settled = <T>(work: Promise<T>[]) => Promise.allSettled(work);

for (const kind of ENGINE_KINDS) {
  describe.skipIf(kind.skip !== undefined)(`store contract: ${kind.name}`, () => {
    let target: StoreUnderTest;
    let a: Opened;
    let b: Opened;
    let started: number;

    beforeAll(async () => {
      started = Date.now();
      target = await kind.start();
      a = await target.open();
      b = await target.open();
    }, 120_000);
    afterAll(async () => {
      await target?.close();
      if (started) console.log(`store contract on ${kind.name}: ${Date.now() - started} ms`);
    });

    it("opens a second time on a migrated store without migrating again, and several at once migrate once", async () => {
      const more = await Promise.all([target.open(), target.open(), target.open()]);
      for (const opened of more) await opened.store.ping();
      expect((await a.store.audit.verify()).ok).toBe(true);
    });

    it("has every table and column of the SQLite schema, in the same order", async () => {
      const columns = await a.engine.read((tx) =>
        tx.dialect.name === "sqlite"
          ? tx.all<{ table_name: string; column_name: string }>(
              `SELECT m.name AS table_name, c.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) c
               WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid`,
            )
          : tx.all<{ table_name: string; column_name: string }>(
              `SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name <> 'schema_migrations' ORDER BY table_name COLLATE "C", ordinal_position`,
            ),
      );
      expect(columns.map((c) => `${c.table_name}.${c.column_name}`)).toEqual(await sqliteColumns());
    });

    it("lets exactly one of two racing transitions from two engines move an intervention", async () => {
      const tenantId = await seededTenant(a.store);
      const planned = await rowsIn(a.store, tenantId, "planned");
      expect(planned.length).toBeGreaterThanOrEqual(5);
      const request = (id: string) => ({ tenantId, id, action: "approve" as const, actor: "agent:test", now: NOW });
      await Promise.all(
        planned.map(async (row) => {
          const results = await settled([a.store.interventions.transition(request(row.id)), b.store.interventions.transition(request(row.id))]);
          const moved = results.filter((r) => r.status === "fulfilled" && r.value.moved);
          const others = results.filter((r) => !(r.status === "fulfilled" && r.value.moved));
          expect(moved).toHaveLength(1);
          // The loser either saw the new status (a no-op) or lost the compare-and-set.
          for (const other of others) {
            if (other.status === "rejected") expect(other.reason).toBeInstanceOf(ConflictError);
            else expect(other.value).toEqual({ status: "approved", moved: false });
          }
          const now = (await b.store.interventions.get(tenantId, row.id))!;
          expect([now.status, now.version]).toEqual(["approved", row.version + 1]);
          expect((await a.store.audit.trail(row.id)).filter((e) => e.event === "approved")).toHaveLength(1);
        }),
      );
      expect((await b.store.audit.verify()).ok).toBe(true);
    });

    describe("approvals", () => {
      async function approvedRequest(store: Store, tenantId: string, row: InterventionRow) {
        const intervention = toIntervention(row);
        const facts = actionFactsOf("approve", intervention);
        const approval = await store.approvals.insert(
          {
            tenantId,
            facts,
            display: displayFactsOf(intervention),
            hash: actionHash(facts),
            principal: "local",
            client: { name: "contract", version: "1" },
            backendId: "local",
            channel: "cli",
            now: NOW,
            ttlMs: 3600_000,
          },
          (r) => ({ tenant_id: tenantId, event: "approval_requested", intervention_id: row.id, actor: "agent:contract", detail: { approval: r.id } }),
        );
        const decision = { approvalId: approval.id, operator: "human:cli", approved: true, answer: "accept", channel: "cli", vouchedBy: "terminal", note: null, now: NOW };
        const event = () => ({ tenant_id: tenantId, event: "approval_decided", actor: "human:cli" });
        expect((await store.approvals.recordDecision(decision, event)).kind).toBe("approved");
        // A second answer finds it decided.
        expect((await store.approvals.recordDecision(decision, event)).kind).toBe("closed");
        return { id: approval.id, hash: actionHash(facts) };
      }
      const spend = (tenantId: string, id: string, approval: { id: string; hash: string }) => ({
        tenantId,
        id,
        action: "approve" as const,
        actor: "agent:contract",
        now: NOW,
        approval: { id: approval.id, actionHash: approval.hash, reason: null, executed: { tenant_id: tenantId, event: "approval_executed", intervention_id: id, actor: "agent:contract" } },
      });

      it("spends an approval only with the action hash of the state approved, once", async () => {
        const tenantId = await seededTenant(a.store);
        const [row] = await rowsIn(a.store, tenantId, "planned");
        const approval = await approvedRequest(a.store, tenantId, row!);

        await expect(b.store.interventions.transition(spend(tenantId, row!.id, { ...approval, hash: "0".repeat(64) }))).rejects.toBeInstanceOf(ApprovalRefusedError);
        expect((await a.store.interventions.get(tenantId, row!.id))!.version).toBe(row!.version);
        expect((await a.store.approvals.get(approval.id))!.status).toBe("approved");

        expect(await b.store.interventions.transition(spend(tenantId, row!.id, approval))).toMatchObject({ status: "approved", moved: true });
        expect((await a.store.approvals.get(approval.id))!).toMatchObject({ status: "executed", outcome: `${row!.id} is now approved` });
        const trail = (await a.store.audit.trail(row!.id)).map((e) => e.event);
        expect(trail.slice(-2)).toEqual(["approved", "approval_executed"]);
      });

      it("lets one of two engines racing to spend the same approval win", async () => {
        const tenantId = await seededTenant(a.store);
        const planned = (await rowsIn(a.store, tenantId, "planned")).slice(0, 4);
        for (const row of planned) {
          const approval = await approvedRequest(a.store, tenantId, row);
          const results = await settled([a.store.interventions.transition(spend(tenantId, row.id, approval)), b.store.interventions.transition(spend(tenantId, row.id, approval))]);
          expect(results.filter((r) => r.status === "fulfilled" && r.value.moved)).toHaveLength(1);
          expect((await a.store.audit.trail(row.id)).filter((e) => e.event === "approval_executed")).toHaveLength(1);
        }
      });
    });

    it("releases each due delivery once when two engines dispatch at once", async () => {
      const tenantId = await seededTenant(a.store);
      const due = await a.store.dispatch.due([tenantId], LATER);
      expect(due.length).toBeGreaterThan(0);
      const released = await Promise.all(due.flatMap((row) => [a.store.dispatch.release(row, true, LEASE_A, LATER), b.store.dispatch.release(row, true, LEASE_B, LATER)]));
      const sentIds = released.filter((r) => r !== undefined).map((r) => r!.id);
      const suppressed = (await rowsIn(a.store, tenantId, "suppressed")).map((r) => r.id);
      // Every due row went exactly one way: sent once, or suppressed by a gate.
      expect(new Set(sentIds).size).toBe(sentIds.length);
      for (const row of due) expect(sentIds.includes(row.id) !== suppressed.includes(row.id)).toBe(true);
      for (const id of sentIds) expect((await a.store.audit.trail(id)).filter((e) => e.event === "sent")).toHaveLength(1);
    });

    // PGlite is one session: a transaction held open stalls every other connection, so only a server shows skipping.
    it.runIf(kind.name.includes("real server"))("skips a due row another worker holds instead of waiting for it", async () => {
      const tenantId = await seededTenant(a.store);
      const [row] = await a.store.dispatch.due([tenantId], LATER);
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = a.engine.write(async (tx) => {
        await tx.get(`SELECT id FROM interventions WHERE id = ?${tx.dialect.skipLocked}`, [row!.id]);
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await isLocked;
      const started = Date.now();
      expect(await b.store.dispatch.release(row!, true, LEASE_B, LATER)).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2000);
      release();
      await holding;
      expect(await b.store.dispatch.release(row!, true, LEASE_B, LATER)).toMatchObject({ id: row!.id, status: "sent" });
    });

    it("claims each abandoned `sent` row once across two engines", async () => {
      const tenantId = await seededTenant(a.store);
      const stale = await rowsIn(a.store, tenantId, "sent");
      expect(stale.length).toBeGreaterThan(0);
      const takeOver = (store: Store, terms = store === a.store ? LEASE_A : LEASE_B) => store.dispatch.takeAbandoned([tenantId], LATER, terms, () => false);
      const [first, second] = await Promise.all([takeOver(a.store), takeOver(b.store)]);
      const claimed = [...first.sent, ...second.sent].map((r) => r.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect([...claimed].sort()).toEqual(stale.map((r) => r.id).sort());
      // Claimed now, so not abandoned any more.
      expect((await takeOver(a.store)).sent).toEqual([]);
    });

    it("shares a rate-limit bucket across two engines: of 12 racing takes from a bucket of 5, exactly 5 pass", async () => {
      const bucket = `rate-probe-${Math.random().toString(36).slice(2)}`;
      const decisions = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).store.rateLimits.take(bucket, 5, LATER)));
      expect(decisions.filter((d) => d.ok)).toHaveLength(5);
      // Refilled at 5 a minute: 12 s later one more passes, and then none.
      const later = new Date(LATER.getTime() + 12_000);
      expect(await a.store.rateLimits.take(bucket, 5, later)).toEqual({ ok: true });
      expect(await b.store.rateLimits.take(bucket, 5, later)).toEqual({ ok: false, retryAfterSeconds: 12 });
    });

    it("hands a lease on to another owner only once it lapsed, and lets its owner renew it", async () => {
      const key = `lease-probe-${Math.random().toString(36).slice(2)}`;
      const shortA = { owner: "owner-a", ms: 1000 };
      const shortB = { owner: "owner-b", ms: 1000 };
      const at = (ms: number) => new Date(LATER.getTime() + ms);
      const [firstA, firstB] = await Promise.all([a.store.dispatch.lease(key, shortA, at(0)), b.store.dispatch.lease(key, shortB, at(0))]);
      expect([firstA, firstB].filter(Boolean)).toHaveLength(1);
      const [holder, holderStore, other, otherStore] = firstA ? [shortA, a.store, shortB, b.store] : [shortB, b.store, shortA, a.store];
      expect(await otherStore.dispatch.lease(key, other, at(900))).toBe(false);
      // The heartbeat keeps it: renewed at 900 ms, it holds until 1900 ms.
      expect(await holderStore.dispatch.renewLeases([key, "not-held"], holder, at(900))).toBe(1);
      expect(await otherStore.dispatch.lease(key, other, at(1500))).toBe(false);
      // Its owner stopped renewing: lapsed, and the other takes it; the old owner's renewal then holds nothing.
      expect(await otherStore.dispatch.lease(key, other, at(1900))).toBe(true);
      expect(await holderStore.dispatch.renewLeases([key], holder, at(2000))).toBe(0);
      // Given up by its owner: free at once.
      await holderStore.dispatch.releaseLease(key, holder.owner);
      expect(await holderStore.dispatch.lease(key, holder, at(2000))).toBe(false);
      await otherStore.dispatch.releaseLease(key, other.owner);
      expect(await holderStore.dispatch.lease(key, holder, at(2000))).toBe(true);
    });

    it("keeps one valid audit chain when two engines append at once", async () => {
      const before = await a.store.audit.verify();
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).store.audit.append({ tenant_id: "chain", event: "probe", actor: "test", detail: { i } }, NOW)),
      );
      const after = await b.store.audit.verify();
      expect(after).toEqual({ ok: true, rows: before.rows + 40 });
      const recent = await a.store.audit.recent(40);
      expect(recent.map((r) => (JSON.parse(r.detail) as { i: number }).i).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    });

    it("hashes an audit row the way verify does, whatever characters it holds (PostgreSQL hashes in the database)", async () => {
      const before = await a.store.audit.verify();
      const awkward = ['quote " and \\ backslash', "tab\tnew\nline\r\u0001\u001f\u007f", "\u2028\u2029 bidi \u202e", "emoji 🧪 é ß 漢字", "'; DROP TABLE audit_log; --"];
      for (const text of awkward) {
        await a.store.audit.append({ tenant_id: text, event: text, intervention_id: text, actor: text, detail: { text, [text]: [text, null, 1.5] } }, NOW);
      }
      await a.store.audit.append({ tenant_id: "chain", event: "no intervention", actor: "test" }, NOW);
      expect(await b.store.audit.verify()).toEqual({ ok: true, rows: before.rows + awkward.length + 1 });
      const last = (await a.store.audit.recent(1))[0]!;
      expect([last.event, last.intervention_id, last.detail]).toEqual(["no intervention", null, "{}"]);
    });

    it("makes one intervention for one Idempotency-Key however the creates race", async () => {
      const tenantId = await seededTenant(a.store);
      const { data } = demoDataSet({ tenantId, seed: 42, now: NOW });
      const template = data.interventions.find((i) => i.row.status === "planned")!.row;
      const record = () => {
        const id = newInterventionId();
        return {
          row: { ...template, id, created_at: NOW.toISOString() },
          response: { id, status: "planned", channel: template.channel, planned_at: template.planned_at },
          actor: "rest:contract",
          auditDetail: {},
          idempotency: { key: "key-1", requestHash: "h1" },
          now: NOW,
        };
      };
      const answers = await Promise.all([a.store.interventions.create(record()), b.store.interventions.create(record()), a.store.interventions.create(record())]);
      expect(new Set(answers.map((r) => r.id)).size).toBe(1);
      expect(answers.filter((r) => r.idempotent_replayed === true)).toHaveLength(2);
      expect(await b.store.interventions.replayOf(tenantId, "key-1", "h1", NOW)).toMatchObject({ id: answers[0]!.id, idempotent_replayed: true });
      await expect(b.store.interventions.replayOf(tenantId, "key-1", "another", NOW)).rejects.toBeInstanceOf(ConflictError);
      // Past the 24 h window the key is free again.
      expect(await a.store.interventions.replayOf(tenantId, "key-1", "h1", LATER)).toBeUndefined();
    });

    it("lists, pages, searches and counts in the same order as SQLite", async () => {
      const tenantId = `order_${Date.now().toString(36)}`;
      await seededTenant(a.store, tenantId);
      // Ids whose order differs between byte order and a locale's: SQLite compares bytes.
      const { data } = demoDataSet({ tenantId, seed: 42, now: NOW });
      for (const id of ["B_x", "a_x", "Z_x", "_x", "é_x", "e_x", "ä_x", "A_x"]) await a.store.seed.insertCustomer(tenantId, { ...data.customers[0]!, id });
      const reference = await referenceOrder(tenantId);
      expect(await orderOf(b.store, tenantId)).toEqual(reference);
    });

    it("serialises the guard's read-modify-write settings and settles a race on the first value", async () => {
      const key = `throttle:${Date.now()}`;
      const bump = (store: Store) =>
        store.guardSettings.update(key, (current) => {
          const next = (current ? Number(current) : 0) + 1;
          return { value: String(next), result: next };
        }, NOW);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 ? a.store : b.store)));
      expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await a.store.guardSettings.get(key)).toBe("20");

      const settledKey = `passphrase:${Date.now()}`;
      const stood = await Promise.all([a.store.guardSettings.settle(settledKey, "first", NOW), b.store.guardSettings.settle(settledKey, "second", NOW)]);
      expect(stood[0]).toBe(stood[1]);
      await b.store.guardSettings.put(settledKey, "changed", NOW);
      expect(await a.store.guardSettings.get(settledKey)).toBe("changed");
      expect(await a.store.guardSettings.get("no such key")).toBeUndefined();
    });

    it("takes a webhook nonce once across two engines, and frees it only after it expired", async () => {
      const nonce = `nonce-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
      const expires = new Date(NOW.getTime() + 6 * 60_000);
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).store.webhookNonces.claim(nonce, expires, NOW)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      // Still inside its window: a replay, however much later within it.
      expect(await a.store.webhookNonces.claim(nonce, expires, new Date(expires.getTime() - 1))).toBe(false);
      // Past its expiry the row is dropped by the next claim; no timestamp that old passes the window anyway.
      expect(await b.store.webhookNonces.claim(`${nonce}-other`, new Date(LATER.getTime() + 60_000), LATER)).toBe(true);
      expect(await a.store.webhookNonces.claim(nonce, new Date(LATER.getTime() + 60_000), LATER)).toBe(true);
    });

    it("counts wrong passphrases on one approval from two engines without losing one", async () => {
      const tenantId = await seededTenant(a.store);
      const [row] = await rowsIn(a.store, tenantId, "planned");
      const intervention = toIntervention(row!);
      const facts = actionFactsOf("approve", intervention);
      const approval = await a.store.approvals.insert(
        { tenantId, facts, display: displayFactsOf(intervention), hash: actionHash(facts), principal: "local", client: { name: "c", version: "1" }, backendId: "local", channel: "page", now: NOW, ttlMs: 60_000 },
        (r) => ({ tenant_id: tenantId, event: "approval_requested", intervention_id: row!.id, actor: "agent:c", detail: { approval: r.id } }),
      );
      const counts = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).store.approvals.countFailedAttempt(approval.id)));
      expect((await a.store.approvals.get(approval.id))!.failed_attempts).toBe(10);
      expect(Math.max(...counts)).toBe(10);
    });

    // PGlite runs one statement at a time in one session: neither a timeout nor a pool's connections show there.
    it.runIf(kind.name.includes("real server"))("cancels a statement past the timeout, and keeps to the pool's size", async () => {
      const tag = `pool_probe_${Date.now()}`;
      const url = new URL(target.url!);
      url.searchParams.set("application_name", tag);
      const strict = await openPostgresEngine(url.toString(), { poolSize: 2, statementTimeoutMs: 300 });
      try {
        await expect(strict.read((tx) => tx.get("SELECT pg_sleep(2)"))).rejects.toThrow(/RETIVO_DATABASE_STATEMENT_TIMEOUT_MS.*57014/);
        const seen = await Promise.all(
          Array.from({ length: 6 }, () =>
            strict.snapshot(async (tx) => {
              await tx.get("SELECT pg_sleep(0.05)");
              return (await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = ?", [tag]))!.n;
            }),
          ),
        );
        expect(Math.min(...seen)).toBeGreaterThanOrEqual(1);
        expect(Math.max(...seen)).toBeLessThanOrEqual(2);
      } finally {
        await strict.close();
      }
    });

    it.runIf(kind.name.startsWith("PostgreSQL"))("reads in one round trip and reports a transition's", async () => {
      const tenantId = await seededTenant(a.store);
      const [row] = await rowsIn(a.store, tenantId, "planned");
      const count = async (work: () => Promise<unknown>) => {
        const before = roundTripsOf(a.engine)!;
        await work();
        return roundTripsOf(a.engine)! - before;
      };
      const get = await count(() => a.store.interventions.get(tenantId, row!.id));
      const list = await count(() => a.store.interventions.listCompact(tenantId, { limit: 20 }));
      const transition = await count(() => a.store.interventions.transition({ tenantId, id: row!.id, action: "pause", actor: "agent:test", now: NOW }));
      console.log(`round trips on ${kind.name}: get ${get}, list ${list}, transition with audit ${transition}`);
      expect(get).toBe(1);
      expect(list).toBe(1);
      expect(transition).toBeLessThanOrEqual(4);
    });
  });
}

/** What the ordering case compares: every page of every filter, the searches and counts. */
async function orderOf(store: Store, tenantId: string): Promise<unknown> {
  const queries = [{}, { status: "planned" }, { flagged: true }, { flagged: false }, { channel: "email" }, { user_id: (await store.catalog.searchCustomerIds(tenantId, "", 1))[0] }];
  const pages = [];
  for (const query of queries) pages.push(await allPages(store, tenantId, query, false), await allPages(store, tenantId, query, true));
  return {
    pages,
    customers: await store.catalog.searchCustomerIds(tenantId, "", 500),
    prefixed: await store.catalog.searchCustomerIds(tenantId, "u", 5),
    playbooks: (await store.catalog.playbooks(tenantId)).map((p) => p.id),
    ids: await store.interventions.idsByPrefix(tenantId, "int_", ["planned", "approved"], 50),
    counts: await store.interventions.countByStatus(tenantId),
  };
}

/** The same data set on a fresh SQLite file: the order every engine must give. */
async function referenceOrder(tenantId: string): Promise<unknown> {
  const sqlite = await ENGINE_KINDS[0]!.start();
  try {
    const { store } = await sqlite.open();
    await seededTenant(store, tenantId);
    const { data } = demoDataSet({ tenantId, seed: 42, now: NOW });
    for (const id of ["B_x", "a_x", "Z_x", "_x", "é_x", "e_x", "ä_x", "A_x"]) await store.seed.insertCustomer(tenantId, { ...data.customers[0]!, id });
    return await orderOf(store, tenantId);
  } finally {
    await sqlite.close();
  }
}

/** Every table's columns in a freshly migrated SQLite store, in order. */
async function sqliteColumns(): Promise<string[]> {
  const sqlite = await ENGINE_KINDS[0]!.start();
  try {
    const { engine } = await sqlite.open();
    const rows = await engine.read((tx) =>
      tx.all<{ t: string; c: string }>(
        `SELECT m.name AS t, c.name AS c FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid`,
      ),
    );
    return rows.map((r) => `${r.t}.${r.c}`);
  } finally {
    await sqlite.close();
  }
}
