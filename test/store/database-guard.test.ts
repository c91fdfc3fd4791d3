/**
 * The database keeps the guard (PostgreSQL after `retivo-mcp db init`): as
 * the MCP server's role, forging an approval or rewriting the audit log by
 * SQL is refused by the database itself, and the passphrase's hash cannot be
 * read; the legitimate path (the human's passphrase in `retivo-mcp approvals
 * approve`, checked inside the database) approves, the action executes once,
 * and the audit chain verifies. Named operators' passphrases live in the
 * database too, and it counts their quorum (2 of 3) itself; as the server's
 * role, an approve decision cannot be inserted to fill it. Against the real
 * server only (PGlite has no second role to refuse anything to), in a
 * database and with roles of this run's own, all dropped afterwards.
 */
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { actionFactsOf, actionHash, displayFactsOf } from "../../src/domain/action-hash.js";
import { openStore, toIntervention, type ApprovalRow, type ApprovalTier, type Store } from "../../src/store/index.js";
import { CLI, openPage, postPage, requireBuiltCli, runCliInPty } from "../guard/helpers.js";
import { recordOperatorDecision } from "../../src/guard/decision.js";
import { passphraseRecord } from "../../src/guard/passphrase.js";
import { startHarness } from "../support/harness.js";
import { spawnServer } from "../reliability/support/spawned.js";
import { HOW_TO_RUN_REAL, REAL_SERVER_URL, startRealServer, type PostgresTarget } from "./support/postgres.js";

const PASSPHRASE = "correct horse battery staple";
/** The single passphrase once the test that changes it has run (the operators' tests come after it). */
const SINGLE_PASSPHRASE_AFTER_CHANGE = "a brand new operator phrase";
const OPERATOR_PASSPHRASES: Record<string, string> = { alice: "alice keeps the first key", bob: "bob holds the second key", carol: "carol asked for this one" };
const suffix = randomBytes(4).toString("hex");
const roles = { owner: `retivo_t${suffix}_owner`, server: `retivo_t${suffix}_server` };

function run(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(input ?? "");
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("db init --print-sql", () => {
  it("prints the roles, the schema and the grants, and connects nowhere", async () => {
    requireBuiltCli();
    const { code, stdout } = await run(["db", "init", "--print-sql", "--owner-role", "shop_owner", "--server-role", "shop_mcp"], {});
    expect(code).toBe(0);
    expect(stdout).toContain("CREATE ROLE shop_owner NOLOGIN");
    expect(stdout).toContain("ALTER ROLE shop_mcp LOGIN NOSUPERUSER");
    expect(stdout).toContain("CREATE FUNCTION retivo_decide_approval(");
    expect(stdout).toContain("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log, audit_head, schema_migrations FROM shop_mcp");
    expect(stdout).toContain("SELECT retivo_set_passphrase('default', NULL, '<operator passphrase>'");
    expect(stdout).not.toMatch(/PASSWORD '[^<]/);
  });

  it("refuses one role for both, and a role name that would need quoting", async () => {
    expect((await run(["db", "init", "--print-sql", "--owner-role", "same", "--server-role", "same"], {})).stderr).toMatch(/must differ/);
    expect((await run(["db", "init", "--print-sql", "--server-role", "x; DROP"], {})).stderr).toMatch(/role name of lower-case letters/);
    expect((await run(["db", "init"], {})).stderr).toMatch(/needs an administrator's URL/);
  });
});

if (!REAL_SERVER_URL) console.log(`database guard: ${HOW_TO_RUN_REAL}`);

describe.skipIf(!REAL_SERVER_URL)("the database keeps the guard (real PostgreSQL server)", () => {
  let database: PostgresTarget;
  let serverUrl: string;
  let store: Store;
  let sql: pg.Client;
  let dir: string;

  beforeAll(async () => {
    requireBuiltCli();
    database = await startRealServer(REAL_SERVER_URL!);
    dir = mkdtempSync(join(tmpdir(), "retivo-db-guard-"));
    const init = await run(["db", "init", "--admin-url", database.url, "--owner-role", roles.owner, "--server-role", roles.server], {}, `${PASSPHRASE}\n`);
    expect(init.stderr).toMatch(/Operator passphrase stored in the database/);
    expect(init.code).toBe(0);
    serverUrl = /^RETIVO_DATABASE_URL=(\S+)$/m.exec(init.stdout)![1]!;
    expect(new URL(serverUrl).username).toBe(roles.server);
    store = await openStore({ dbPath: "", databaseUrl: serverUrl });
    // db init seeded the demo data as the owner: the server's role would be refused its approved and sent rows.
    expect(await ensureSeeded(store, "live", 42)).toBeNull();
    sql = new pg.Client({ connectionString: serverUrl });
    await sql.connect();
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await store?.close();
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: REAL_SERVER_URL });
    await admin.connect();
    try {
      await admin.query(`DROP ROLE IF EXISTS ${roles.server}`);
      await admin.query(`DROP ROLE IF EXISTS ${roles.owner}`);
    } finally {
      await admin.end();
    }
  });

  async function plannedUnflagged(): Promise<string[]> {
    const page = await store.interventions.list("live", { status: "planned", flagged: false, limit: 50 });
    return page.interventions.map((row) => row.id);
  }

  async function pendingApproval(id: string, tier?: ApprovalTier): Promise<ApprovalRow> {
    const intervention = toIntervention((await store.interventions.get("live", id))!);
    const facts = actionFactsOf("approve", intervention);
    return store.approvals.insert(
      { tenantId: "live", facts, display: displayFactsOf(intervention), hash: actionHash(facts), principal: "local", client: { name: "agent", version: "1" }, backendId: "local", channel: "page", now: new Date(), ttlMs: 600_000, tier },
      (row) => ({ tenant_id: "live", event: "approval_requested", intervention_id: id, actor: "agent:test", detail: { approval: row.id } }),
    );
  }

  it("refuses, as the server's role, every way to forge an approval or rewrite the audit log, and changes nothing", async () => {
    const id = (await plannedUnflagged())[0]!;
    const approval = await pendingApproval(id);
    const before = await store.audit.verify();
    expect(before.ok).toBe(true);
    const refused = async (statement: string, params: unknown[], why: RegExp) => expect(sql.query(statement, params)).rejects.toThrow(why);

    await refused("UPDATE approvals SET status = 'approved', decided_by = 'human:cli' WHERE id = $1", [approval.id], /only the operator's passphrase approves/);
    await refused(
      `INSERT INTO approvals (id, tenant_id, action, intervention_id, action_hash, facts, display, principal, client_name, client_version, backend_mode, channel, status, created_at, expires_at)
       SELECT 'apr_forged', tenant_id, action, intervention_id, action_hash, facts, display, principal, client_name, client_version, backend_mode, channel, 'approved', created_at, expires_at
       FROM approvals WHERE id = $1`,
      [approval.id],
      /created pending/,
    );
    await refused("UPDATE approvals SET action_hash = 'f'||action_hash, facts = '{}' WHERE id = $1", [approval.id], /never changes/);
    await refused("UPDATE approvals SET required_approvals = required_approvals + 1 WHERE id = $1", [approval.id], /never changes/);
    await refused("UPDATE approvals SET status = 'executed' WHERE id = $1", [approval.id], /only an approved request can be executed/);
    await refused("DELETE FROM approvals WHERE id = $1", [approval.id], /permission denied for table approvals/);
    // Nor around approvals altogether: the intervention itself moves to approved only by spending one.
    await refused("UPDATE interventions SET status = 'approved', version = version + 1 WHERE id = $1", [id], /approve needs a human's approval spent in the same transaction/);
    await refused(
      `INSERT INTO interventions SELECT (jsonb_populate_record(i, jsonb_build_object('id', 'int_forged', 'status', 'approved'))).* FROM interventions i WHERE id = $1`,
      [id],
      /a new intervention is planned/,
    );
    await refused(
      `UPDATE interventions SET status = 'rolled_back' WHERE id = (SELECT id FROM interventions WHERE status = 'delivered' LIMIT 1)`,
      [],
      /rollback needs a human's approval/,
    );
    await refused("UPDATE audit_log SET actor = 'human:cli' WHERE seq = 1", [], /permission denied for table audit_log/);
    await refused("DELETE FROM audit_log WHERE seq > 1", [], /permission denied for table audit_log/);
    await refused("TRUNCATE audit_log", [], /permission denied for table audit_log/);
    await refused("INSERT INTO audit_log (at, tenant_id, event, actor, detail, prev_hash, hash) VALUES ('x', 'live', 'approved', 'human:cli', '{}', 'x', 'x')", [], /permission denied for table audit_log/);
    await refused("UPDATE audit_head SET seq = seq + 1", [], /permission denied for table audit_head/);
    await refused("SELECT hash FROM retivo_private.operator_passphrases", [], /permission denied for schema retivo_private/);
    await refused("ALTER TABLE approvals DISABLE TRIGGER approvals_guard", [], /must be owner/);
    await refused("DROP FUNCTION retivo_approvals_guard() CASCADE", [], /must be owner/);
    // The guard's functions: no first passphrase without the owner, no approval with a wrong one.
    expect((await sql.query("SELECT retivo_set_passphrase('default', NULL, 'an agent''s own phrase', 'now') AS set")).rows[0].set).toBe(false);
    expect((await sql.query("SELECT retivo_set_passphrase('default', 'a wrong current one', 'an agent''s own phrase', 'now') AS set")).rows[0].set).toBe(false);
    const guess = await sql.query("SELECT retivo_decide_approval($1, 'default', 'a guessed passphrase', 'human:cli', 'accept', NULL, $2, 'cli', 'human:cli', '{}') AS outcome", [
      approval.id,
      new Date().toISOString(),
    ]);
    expect(guess.rows[0].outcome).toBe("wrong_passphrase");

    expect(await store.approvals.get(approval.id)).toMatchObject({ status: "pending", action_hash: approval.action_hash, facts: approval.facts, decided_by: null });
    expect((await store.interventions.get("live", id))!.status).toBe("planned");
    expect(await store.interventions.get("live", "int_forged")).toBeUndefined();
    expect(await store.audit.verify()).toEqual(before);
  });

  it("approves through the operator's passphrase in the terminal, checked in the database, and executes the action once", async () => {
    const id = (await plannedUnflagged())[1]!;
    const server = await spawnServer(dir, { confirmApprovals: true, name: "db-guard", env: { RETIVO_DATABASE_URL: serverUrl } });
    let approvalId: string;
    try {
      // The client's form cannot approve where the database holds a passphrase: it points to the page or the terminal.
      const asked = await server.call("approve_intervention", { intervention_id: id });
      const structured = asked.structuredContent as { status?: string; approval?: { approval_id: string; approval_url?: string | null } };
      expect(structured.approval?.approval_id).toMatch(/^apr_/);
      approvalId = structured.approval!.approval_id;
      expect(JSON.stringify(asked.content)).toMatch(/approvals approve|approval page|http:\/\/127\.0\.0\.1/);
      expect((await store.interventions.get("live", id))!.status).toBe("planned");
    } finally {
      await server.close();
    }

    const env = { RETIVO_DATABASE_URL: serverUrl, RETIVO_DATA_DIR: dir, RETIVO_LLM: "template", HOME: dir, LOG_LEVEL: "silent" };
    const steps = (passphrase: string) => [
      { expect: /\[y\/N\] $/, send: "y\r" },
      { expect: /Note.*: $/, send: "\r" },
      { expect: /Operator passphrase: $/, send: `${passphrase}\r` },
    ];
    const wrong = await runCliInPty(`approvals approve ${approvalId}`, env, steps("not the passphrase at all"));
    expect(wrong.output).toMatch(/Wrong passphrase; nothing was approved/);
    expect((await store.approvals.get(approvalId))!).toMatchObject({ status: "pending", failed_attempts: 1 });

    const right = await runCliInPty(`approvals approve ${approvalId}`, env, steps(PASSPHRASE));
    expect(right.output).toContain("Released:");
    expect(right.code).toBe(0);
    expect(await store.approvals.get(approvalId)).toMatchObject({ status: "executed", decided_by: "human:cli" });
    expect((await store.interventions.get("live", id))!.status).toBe("approved");
    const trail = await store.audit.trail(id);
    expect(trail.filter((e) => e.event === "approved")).toHaveLength(1);
    expect(trail.filter((e) => e.event === "approval_answered").map((e) => e.actor)).toEqual(["human:cli"]);
    expect(trail.filter((e) => e.event === "approval_refused").map((e) => e.actor)).toEqual(["unverified:cli"]);

    const verify = await run(["audit", "verify"], env);
    expect([verify.code, verify.stdout]).toEqual([0, expect.stringMatching(/Audit chain intact/)]);
  }, 120_000);

  it("approves on the approval page with the passphrase, checked in the database, and executes once", async () => {
    const h = await startHarness({ env: { RETIVO_DATABASE_URL: serverUrl } });
    try {
      const id = (await plannedUnflagged())[2]!;
      const pending = await h.ok<{ approval: { approval_id: string; approval_url: string | null } }>("approve_intervention", { intervention_id: id });
      const link = pending.approval.approval_url!;
      expect(link).toMatch(/\/approvals\/apr_/);
      const page = await openPage(link);
      const guessed = await postPage(link, { token: page.token, csrf: page.csrf, decision: "approve", passphrase: "an agent's guess at it" });
      expect(guessed.status).toBe(403);
      expect((await store.approvals.get(pending.approval.approval_id))!).toMatchObject({ status: "pending", failed_attempts: 1 });
      const approved = await postPage(link, { token: page.token, csrf: page.csrf, decision: "approve", passphrase: PASSPHRASE });
      expect(approved.status).toBe(200);
      expect(await h.ok("approve_intervention", { intervention_id: id })).toMatchObject({ id, status: "approved" });
      expect(await store.approvals.get(pending.approval.approval_id)).toMatchObject({ status: "executed", decided_by: "human:page" });
      // Who decided is as fixed as what was decided.
      await expect(sql.query("UPDATE approvals SET decided_by = 'human:cli' WHERE id = $1", [pending.approval.approval_id])).rejects.toThrow(/a recorded decision/);
      expect((await store.audit.trail(id)).filter((e) => e.event === "approved")).toHaveLength(1);
      expect((await store.audit.verify()).ok).toBe(true);
    } finally {
      await h.close();
    }
  }, 60_000);

  it("changes the passphrase in the terminal only with the current one, and the database then checks the new one", async () => {
    const env = { RETIVO_DATABASE_URL: serverUrl, RETIVO_DATA_DIR: dir, RETIVO_LLM: "template", HOME: dir, LOG_LEVEL: "silent" };
    const next = SINGLE_PASSPHRASE_AFTER_CHANGE;
    const steps = (current: string) => [
      { expect: /Current operator passphrase: $/, send: `${current}\r` },
      { expect: /New operator passphrase.*: $/, send: `${next}\r` },
      { expect: /Repeat it: $/, send: `${next}\r` },
    ];
    const wrong = await runCliInPty("approvals passphrase", env, steps("not the current one").slice(0, 1));
    expect(wrong.output).toMatch(/Wrong passphrase; nothing changed/);
    const check = async (passphrase: string) => (await sql.query("SELECT retivo_check_passphrase('default', $1) AS ok", [passphrase])).rows[0].ok as boolean;
    expect(await check(PASSPHRASE)).toBe(true);

    const right = await runCliInPty("approvals passphrase", env, steps(PASSPHRASE));
    expect(right.output).toMatch(/Operator passphrase set/);
    expect(right.code).toBe(0);
    expect([await check(PASSPHRASE), await check(next)]).toEqual([false, true]);
  }, 60_000);
  /** A planned, unflagged intervention no request has been made for yet (earlier tests leave theirs behind). */
  async function untouched(): Promise<string> {
    const asked = new Set((await sql.query<{ id: string }>("SELECT DISTINCT intervention_id AS id FROM approvals")).rows.map((row) => row.id));
    return (await plannedUnflagged()).find((id) => !asked.has(id))!;
  }

  const cliEnv = (url: string) => ({ RETIVO_DATABASE_URL: url, RETIVO_DATA_DIR: dir, RETIVO_LLM: "template", HOME: dir, LOG_LEVEL: "silent" });

  /** `operators add NAME` in a terminal: authorised by the single passphrase (the first) or an existing operator's. */
  function addOperator(url: string, name: string, authorisedBy?: string) {
    const authorise = authorisedBy
      ? [
          { expect: /an existing operator's name: $/, send: `${authorisedBy}\r` },
          { expect: /Their passphrase: $/, send: `${OPERATOR_PASSPHRASES[authorisedBy]}\r` },
        ]
      : [{ expect: /the single one set so far\): $/, send: `${SINGLE_PASSPHRASE_AFTER_CHANGE}\r` }];
    return runCliInPty(`operators add ${name}`, cliEnv(url), [
      ...authorise,
      { expect: /New passphrase for .*: $/, send: `${OPERATOR_PASSPHRASES[name]}\r` },
      { expect: /Repeat it: $/, send: `${OPERATOR_PASSPHRASES[name]}\r` },
    ]);
  }

  function approveAs(approvalId: string, name: string, passphrase = OPERATOR_PASSPHRASES[name]!) {
    return runCliInPty(`approvals approve ${approvalId} --as ${name}`, cliEnv(serverUrl), [
      { expect: /\[y\/N\] $/, send: "y\r" },
      { expect: /Note.*: $/, send: "\r" },
      { expect: /Passphrase of .*: $/, send: `${passphrase}\r` },
    ]);
  }

  const passphraseIn = async (name: string) => (await sql.query("SELECT retivo_passphrase_set($1) AS set", [name])).rows[0].set as boolean;
  const twoOfThree = (excluded: string | null): ApprovalTier => ({ rule: "live-offers", required: 2, excludedOperator: excluded, remindAfterMs: null, escalateAfterMs: null });

  it("counts the single anonymous passphrase once, whatever channel it names", async () => {
    const approval = await pendingApproval(await untouched(), twoOfThree(null));
    const decide = (by: string) =>
      sql.query("SELECT retivo_decide_approval($1, 'default', $2, $3, 'approve', NULL, $4, 'cli', $3, '{}') AS outcome", [approval.id, SINGLE_PASSPHRASE_AFTER_CHANGE, by, new Date().toISOString()]);
    expect((await decide("human:cli")).rows[0].outcome).toBe("counted");
    expect((await decide("human:page")).rows[0].outcome).toBe("repeated");
    expect(await store.approvals.get(approval.id)).toMatchObject({ status: "pending", decided_by: null });
    expect((await store.approvals.decisionsOf(approval.id)).map((d) => d.operator)).toEqual(["human:cli"]);
  });

  it("stores named operators' passphrases in the database, the first only from the administrator's session", async () => {
    const refused = await addOperator(serverUrl, "alice");
    expect(refused.output).toMatch(/first passphrase is stored only from the database owner's or an administrator's session/);
    expect(refused.code).toBe(1);
    expect([await store.operators.list(), await passphraseIn("alice")]).toEqual([[], false]);

    expect((await addOperator(database.url, "alice")).output).toMatch(/Operator alice added/);
    expect((await addOperator(database.url, "bob", "alice")).output).toMatch(/Operator bob added/);
    expect((await addOperator(database.url, "carol", "bob")).output).toMatch(/Operator carol added/);
    // Nothing the server's role could read or write stands in for a passphrase.
    expect((await sql.query("SELECT name, passphrase FROM operators ORDER BY name")).rows).toEqual(["alice", "bob", "carol"].map((name) => ({ name, passphrase: null })));
    expect([await passphraseIn("alice"), await passphraseIn("bob"), await passphraseIn("carol")]).toEqual([true, true, true]);
    const listed = await run(["operators", "list"], cliEnv(serverUrl));
    expect(listed.stdout).toMatch(/^alice\s+database/m);

    // A passphrase the server's role writes into the readable table approves nothing: the database checks its own.
    await sql.query("UPDATE operators SET passphrase = $1 WHERE name = 'carol'", [await passphraseRecord("an agent's own phrase")]);
    const approval = await pendingApproval(await untouched());
    expect((await approveAs(approval.id, "carol", "an agent's own phrase")).output).toMatch(/Wrong passphrase/);
    await sql.query("UPDATE operators SET passphrase = NULL WHERE name = 'carol'");
    expect((await store.approvals.get(approval.id))!.status).toBe("pending");
  }, 120_000);

  it("counts a 2-of-3 quorum in the database: one counted, the same again not, the requester's operator refused, the second releases once", async () => {
    const id = await untouched();
    const approval = await pendingApproval(id, twoOfThree("carol"));

    const first = await approveAs(approval.id, "alice");
    expect(first.output).toMatch(/Your approval is counted; nothing is released yet/);
    expect(await store.approvals.get(approval.id)).toMatchObject({ status: "pending", decided_by: null });
    expect((await approveAs(approval.id, "alice")).output).toMatch(/alice has already decided request .*not counted/);
    expect((await approveAs(approval.id, "carol")).output).toMatch(/carol runs the agent that asked for this/);
    expect((await store.approvals.decisionsOf(approval.id)).map((d) => [d.operator, d.answer, d.vouched_by])).toEqual([["alice", "approve", "database passphrase of alice"]]);
    expect((await store.interventions.get("live", id))!.status).toBe("planned");

    const second = await approveAs(approval.id, "bob");
    expect(second.output).toContain("Released:");
    expect(second.code).toBe(0);
    expect(await store.approvals.get(approval.id)).toMatchObject({ status: "executed", decided_by: "alice, bob" });
    expect((await store.interventions.get("live", id))!.status).toBe("approved");
    const trail = await store.audit.trail(id);
    expect(trail.filter((e) => e.event === "approved")).toHaveLength(1);
    const answered = trail.filter((e) => e.event === "approval_answered");
    expect(answered.map((e) => [e.actor, JSON.parse(e.detail).approvals_given, JSON.parse(e.detail).quorum_reached])).toEqual([
      ["alice", 1, false],
      ["bob", 2, true],
    ]);
    const verify = await run(["audit", "verify"], cliEnv(serverUrl));
    expect([verify.code, verify.stdout]).toEqual([0, expect.stringMatching(/Audit chain intact/)]);
  }, 120_000);

  it("refuses, as the server's role, a forged approve decision and then the step to approved; a rejection it may record", async () => {
    const id = await untouched();
    const approval = await pendingApproval(id, twoOfThree(null));
    expect((await approveAs(approval.id, "alice")).output).toMatch(/Your approval is counted/);
    const before = await store.audit.verify();
    const now = new Date().toISOString();
    const refused = async (statement: string, params: unknown[], why: RegExp) => expect(sql.query(statement, params)).rejects.toThrow(why);

    await refused(
      "INSERT INTO approval_decisions (approval_id, operator, answer, channel, vouched_by, note, at) VALUES ($1, 'bob', 'approve', 'cli', 'passphrase', NULL, $2)",
      [approval.id, now],
      /only the operator's passphrase records an approval/,
    );
    await refused("UPDATE approval_decisions SET operator = 'bob' WHERE approval_id = $1", [approval.id], /permission denied for table approval_decisions/);
    await refused("DELETE FROM approval_decisions WHERE approval_id = $1", [approval.id], /permission denied for table approval_decisions/);
    await refused("UPDATE approvals SET status = 'approved', decided_by = 'alice, bob' WHERE id = $1", [approval.id], /only the operator's passphrase approves/);
    // The function itself: a wrong passphrase counts nothing, and alice's passphrase records alice whatever name is passed.
    const decide = (operator: string, passphrase: string, by: string) =>
      sql.query("SELECT retivo_decide_approval($1, $2, $3, $4, 'approve', NULL, $5, 'cli', $4, '{}') AS outcome", [approval.id, operator, passphrase, by, now]);
    expect((await decide("bob", "a guessed passphrase", "bob")).rows[0].outcome).toBe("wrong_passphrase");
    expect((await decide("alice", OPERATOR_PASSPHRASES.alice!, "bob")).rows[0].outcome).toBe("repeated");
    // Once named operators exist, the single anonymous passphrase approves nothing.
    expect((await decide("default", SINGLE_PASSPHRASE_AFTER_CHANGE, "human:cli")).rows[0].outcome).toBe("excluded");

    expect(await store.approvals.get(approval.id)).toMatchObject({ status: "pending", decided_by: null });
    expect((await store.approvals.decisionsOf(approval.id)).map((d) => d.operator)).toEqual(["alice"]);
    expect((await store.interventions.get("live", id))!.status).toBe("planned");
    expect((await store.audit.verify()).ok).toBe(true);
    expect(before.ok).toBe(true);

    // An approval vouched for by anything but a passphrase the database checks (a signed webhook, a login) is refused, clearly.
    const vouchedElsewhere = await recordOperatorDecision(store, { approvalId: approval.id, operator: "bob", answer: "approve", channel: "webhook", vouchedBy: "webhook-signature", now: new Date() });
    expect(vouchedElsewhere).toMatchObject({ ok: false, reason: "passphrase_required", message: expect.stringMatching(/database keeps the guard.*Nothing was recorded/) });
    expect((await store.approvals.decisionsOf(approval.id)).map((d) => d.operator)).toEqual(["alice"]);

    // A named operator's proven denial goes through the server's own SQL (a rejection needs no database vouching) and ends the request.
    const denied = await runCliInPty(`approvals deny ${approval.id} --as bob`, cliEnv(serverUrl), [{ expect: /Passphrase of bob .*: $/, send: `${OPERATOR_PASSPHRASES.bob}\r` }]);
    expect(denied.output).toMatch(/Denied apr_/);
    expect(await store.approvals.get(approval.id)).toMatchObject({ status: "denied", decided_by: "bob", answer: "deny" });
    expect((await store.approvals.decisionsOf(approval.id)).map((d) => [d.operator, d.answer])).toEqual([
      ["alice", "approve"],
      ["bob", "reject"],
    ]);

    // Anyone may stop a request: the server's role records a rejection (here rolled back, to leave the request as it was).
    await sql.query("BEGIN");
    try {
      await sql.query("INSERT INTO approval_decisions (approval_id, operator, answer, channel, vouched_by, note, at) VALUES ($1, 'carol', 'reject', 'cli', 'passphrase', NULL, $2)", [approval.id, now]);
    } finally {
      await sql.query("ROLLBACK");
    }
  }, 120_000);
  it("checks a named operator's passphrase on the approval page in the database, and releases once", async () => {
    const h = await startHarness({ env: { RETIVO_DATABASE_URL: serverUrl } });
    try {
      const id = await untouched();
      const pending = await h.ok<{ approval: { approval_id: string; approval_url: string | null } }>("approve_intervention", { intervention_id: id });
      const link = pending.approval.approval_url!;
      const page = await openPage(link);
      const fields = { token: page.token, csrf: page.csrf, decision: "approve", operator: "bob" };
      // alice's passphrase does not pass for bob, nor the single anonymous one.
      expect((await postPage(link, { ...fields, passphrase: OPERATOR_PASSPHRASES.alice! })).status).toBe(403);
      expect((await postPage(link, { ...fields, passphrase: SINGLE_PASSPHRASE_AFTER_CHANGE })).status).toBe(403);
      expect((await store.approvals.get(pending.approval.approval_id))!).toMatchObject({ status: "pending", failed_attempts: 2 });
      expect((await postPage(link, { ...fields, passphrase: OPERATOR_PASSPHRASES.bob! })).status).toBe(200);
      expect(await h.ok("approve_intervention", { intervention_id: id })).toMatchObject({ id, status: "approved" });
      expect(await store.approvals.get(pending.approval.approval_id)).toMatchObject({ status: "executed", decided_by: "bob" });
      expect((await store.approvals.decisionsOf(pending.approval.approval_id)).map((d) => [d.operator, d.channel, d.vouched_by])).toEqual([["bob", "page", "database passphrase of bob"]]);
      expect((await store.audit.trail(id)).filter((e) => e.event === "approved")).toHaveLength(1);
      expect((await store.audit.verify()).ok).toBe(true);
    } finally {
      await h.close();
    }
  }, 60_000);
});
