/**
 * A transition that loses a race inside PostgreSQL: it read the row, another
 * session changed it and held its lock, and the transition's compare-and-set
 * waited for that lock. When the other session commits, the transition must
 * be told it lost (ConflictError) and change nothing: no status, no audit
 * row. The same for the consent flag an approval sets when the user opted out. SQLite cannot interleave two writers there (one writer at a time), so
 * this runs against the real server only, in a database of its own.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { openStore, type Store } from "../../src/store/index.js";
import { sleep } from "../support/wait.js";
import { HOW_TO_RUN_REAL, REAL_SERVER_URL, startRealServer, type PostgresTarget } from "./support/postgres.js";

if (!REAL_SERVER_URL) console.log(`transition race: ${HOW_TO_RUN_REAL}`);

describe.skipIf(!REAL_SERVER_URL)("a transition racing another session (real PostgreSQL server)", { timeout: 60_000 }, () => {
  let database: PostgresTarget;
  let store: Store;
  let other: pg.Client;

  beforeAll(async () => {
    database = await startRealServer(REAL_SERVER_URL!);
    store = await openStore({ dbPath: "", databaseUrl: database.url });
    await ensureSeeded(store, "live", 42);
    other = new pg.Client({ connectionString: database.url });
    await other.connect();
  }, 120_000);

  afterAll(async () => {
    await other?.end();
    await store?.close();
    await database?.close();
  });

  const auditRows = async (id: string) => Number((await other.query("SELECT count(*) AS n FROM audit_log WHERE intervention_id = $1", [id])).rows[0].n);
  /** Whether some session of this database waits for a row lock (the transition's compare-and-set). */
  const someoneWaits = async () =>
    (await other.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0].n > 0;

  /** Runs `change` while another session holds a new, uncommitted version of `id`, and commits it once `change` waits for it. */
  async function racing(id: string, change: () => Promise<unknown>): Promise<unknown> {
    await other.query("BEGIN");
    await other.query("UPDATE interventions SET version = version + 1 WHERE id = $1", [id]);
    const settled = change().then(
      () => "went through",
      (error: Error) => error,
    );
    for (let waited = 0; !(await someoneWaits()); waited += 20) {
      if (waited > 10_000) throw new Error("the change never waited for the other session's lock");
      await sleep(20);
    }
    await other.query("COMMIT");
    return settled;
  }

  async function plannedIds(n: number): Promise<string[]> {
    const { interventions } = await store.interventions.list("live", { status: "planned", flagged: false, limit: 50 });
    const asked = new Set((await other.query<{ id: string }>("SELECT DISTINCT intervention_id AS id FROM audit_log WHERE event IN ('paused', 'flagged')")).rows.map((r) => r.id));
    return interventions.filter((row) => !asked.has(row.id)).slice(0, n).map((row) => row.id);
  }

  it("tells the loser it lost and changes nothing, when the other session's change commits while it waits", async () => {
    const [id] = await plannedIds(1);
    const before = (await store.interventions.get("live", id!))!;
    const audited = await auditRows(id!);

    // Another process flags it (a new version) and has not committed yet.
    const outcome = await racing(id!, () => store.interventions.transition({ tenantId: "live", id: id!, action: "pause", actor: "operator:test", now: new Date() }));
    expect(outcome).toBeInstanceOf(Error);
    expect(outcome).toMatchObject({ message: `${id} changed while this action ran.`, hint: "Read it again and retry if still wanted.", code: "conflict" });
    expect(await store.interventions.get("live", id!)).toMatchObject({ status: "planned", version: before.version + 1 });
    expect(await auditRows(id!)).toBe(audited);

    // Read again, the same pause goes through.
    expect(await store.interventions.transition({ tenantId: "live", id: id!, action: "pause", actor: "operator:test", now: new Date() })).toMatchObject({ status: "paused", moved: true });
  });

  it("does the same for the consent flag an approval sets once the user opted out", async () => {
    const [id] = await plannedIds(1);
    const before = (await store.interventions.get("live", id!))!;
    await other.query("UPDATE customers SET opted_out = 1 WHERE tenant_id = 'live' AND id = $1", [before.user_id]);
    const audited = await auditRows(id!);

    const outcome = await racing(id!, () => store.interventions.assertApprovable("live", id!, new Date()));
    expect(outcome).toBeInstanceOf(Error);
    expect(outcome).toMatchObject({ message: `${id} changed while its consent was checked.`, hint: "Read it again and retry if still wanted.", code: "conflict" });
    expect(await store.interventions.get("live", id!)).toMatchObject({ status: "planned", flagged: 0, version: before.version + 1 });
    expect(await auditRows(id!)).toBe(audited);

    // Read again, the approval is refused for the opt-out, and the flag is set.
    await expect(store.interventions.assertApprovable("live", id!, new Date())).rejects.toThrow(/opted out/);
    expect(await store.interventions.get("live", id!)).toMatchObject({ flagged: 1, flag_reason: `consent: ${before.user_id} opted out after this was planned` });
  });
});
