/**
 * Team approvals end to end, through a real MCP client talking to the built
 * server over stdio, the built CLI on a real pseudo-terminal and the approval
 * page over HTTP: a policy needing 2 of 3 operators for live webhooks with
 * offers, with the requester's own operator barred. One operator approves
 * (still pending, 1 of 2 shown to the agent), the same one again (not
 * counted), the requester's own (refused), a second on the page (released
 * once). Then two operators approving at once from two processes, on
 * SQLite and on PostgreSQL: one execution.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore, type StoreLocation } from "../../src/store/index.js";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "../store/support/postgres.js";
import { cliEnv, openPage, postPage, requireBuiltCli, runCliInPty, runCliPiped } from "./helpers.js";
import { addOperators, agentOver, approveInPty, call, PASSPHRASES, textOf, TWO_OF_THREE_FOR_LIVE_WEBHOOKS_WITH_OFFERS, webhookWithOffer, type Pending } from "./team-support.js";

let dir: string | undefined;
let client: Client | undefined;
let database: PostgresTarget | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await client?.close();
  client = undefined;
  await database?.close();
  database = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function auditOf(location: StoreLocation, interventionId: string): Promise<{ event: string; actor: string }[]> {
  const store = await openStore(location);
  try {
    return await store.audit.trail(interventionId);
  } finally {
    await store.close();
  }
}

async function churnPlaybookOf(location: StoreLocation): Promise<string> {
  const store = await openStore(location);
  try {
    return (await store.catalog.playbooks("live")).find((p) => p.name === "Churn Risk Rescue")!.id;
  } finally {
    await store.close();
  }
}

const engines: { name: string; location: () => Promise<Record<string, string>> }[] = [
  { name: "SQLite", location: async () => ({}) },
  {
    name: REAL_SERVER_URL ? "PostgreSQL (real server)" : "PostgreSQL (PGlite)",
    location: async () => {
      database = REAL_SERVER_URL ? await startRealServer(REAL_SERVER_URL) : await startPglite();
      await database.reset();
      return { RETIVO_DATABASE_URL: database.url };
    },
  },
];

for (const engine of engines) describe(`2 of 3 operators for live webhooks with offers: ${engine.name}`, () => {
  it("counts one approval per operator, bars the requester's own, and releases once at the second", async () => {
    dir = mkdtempSync(join(tmpdir(), "retivo-team-"));
    const policyFile = join(dir, "policy.json");
    writeFileSync(policyFile, JSON.stringify(TWO_OF_THREE_FOR_LIVE_WEBHOOKS_WITH_OFFERS));
    const env = cliEnv(dir, { RETIVO_POLICY: policyFile, ...(await engine.location()) });
    const location = { dbPath: env.RETIVO_DB!, databaseUrl: env.RETIVO_DATABASE_URL };
    await addOperators(location, ["alice", "bob", "carol"]);
    client = await agentOver(env);

    const id = await webhookWithOffer(client, await churnPlaybookOf(location));
    const first = (await call(client, "approve_intervention", { intervention_id: id })).structuredContent as unknown as Pending;
    expect(first.status).toBe("planned");
    const approvalId = first.approval!.approval_id;
    expect(first.approval!.instructions).toContain("needs 2 of: alice, bob; none given yet; not carol (the requester's own)");
    expect(first.approval!.instructions).toContain(`approvals approve ${approvalId} --as NAME`);
    expect(first.approval!.approval_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/approvals\//);

    // The requester's own operator: refused before anything is asked.
    const own = await runCliInPty(`approvals approve ${approvalId} --as carol`, env, []);
    expect(own.code).toBe(2);
    expect(own.output).toMatch(/carol runs the agent that asked for this/);

    const byAlice = await approveInPty(approvalId, "alice", env);
    expect(byAlice.output).toMatch(/Your approval is counted; nothing is released yet: needs 2 of: alice, bob; 1 given \(alice\)/);
    expect(byAlice.code).toBe(0);
    const still = (await call(client, "approve_intervention", { intervention_id: id })).structuredContent as unknown as Pending;
    expect(still).toMatchObject({ status: "planned", approval: { approval_id: approvalId } });
    expect(still.approval!.instructions).toContain("needs 2 of: alice, bob; 1 given (alice)");
    const listed = await runCliPiped(["approvals", "list"], env);
    expect(listed.stdout).toContain(approvalId);
    expect(listed.stdout).toContain("needs 2 of: alice, bob; 1 given (alice); not carol (the requester's own)");

    // The same operator again: not counted.
    const again = await approveInPty(approvalId, "alice", env);
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/alice has already decided request .*not counted/);
    expect(((await call(client, "get_intervention", { intervention_id: id })).structuredContent as { intervention: { status: string } }).intervention.status).toBe("planned");

    // Bob on the approval page: names himself, gives his passphrase; the second approval releases it.
    const page = await openPage(first.approval!.approval_url!);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<option value="bob">bob</option>');
    expect(page.html).not.toContain('<option value="alice">');
    expect(page.html).toContain("needs 2 of: alice, bob; 1 given (alice)");
    const posted = await postPage(first.approval!.approval_url!.split("?")[0]!, {
      token: page.token,
      csrf: page.csrf,
      decision: "approve",
      operator: "bob",
      passphrase: PASSPHRASES.bob!,
    });
    expect(posted.html).toContain("Released");
    expect(posted.status).toBe(200);

    const done = await call(client, "approve_intervention", { intervention_id: id });
    expect(done.structuredContent).toEqual({ id, status: "approved" });
    expect(textOf(done)).toContain("approved by alice, bob");
    const trail = await auditOf(location, id);
    expect(trail.filter((e) => e.event === "approval_answered").map((e) => e.actor)).toEqual(["alice", "bob"]);
    expect(trail.filter((e) => e.event === "approved")).toHaveLength(1);
    expect(trail.filter((e) => e.event === "approval_executed")).toHaveLength(1);

    // Who decided, in the terminal.
    const shown = await runCliInPty(`approvals show ${approvalId}`, env, []);
    expect(shown.output).toMatch(/alice approved \(cli, passphrase\)/);
    expect(shown.output).toMatch(/bob approved \(page, passphrase\)/);
  }, 240_000);
});

for (const engine of engines) {
  describe(`two operators at once from two processes: ${engine.name}`, () => {
    it("executes once", async () => {
      dir = mkdtempSync(join(tmpdir(), "retivo-team-race-"));
      const policyFile = join(dir, "policy.json");
      writeFileSync(policyFile, JSON.stringify(TWO_OF_THREE_FOR_LIVE_WEBHOOKS_WITH_OFFERS));
      const env = cliEnv(dir, { RETIVO_POLICY: policyFile, ...(await engine.location()) });
      await addOperators({ dbPath: env.RETIVO_DB!, databaseUrl: env.RETIVO_DATABASE_URL }, ["alice", "bob", "carol"]);
      client = await agentOver(env);
      const store = await openStore({ dbPath: env.RETIVO_DB!, databaseUrl: env.RETIVO_DATABASE_URL });
      try {
        const playbook = (await store.catalog.playbooks("live")).find((p) => p.name === "Churn Risk Rescue")!;
        const id = await webhookWithOffer(client, playbook.id);
        const pending = (await call(client, "approve_intervention", { intervention_id: id })).structuredContent as unknown as Pending;
        const approvalId = pending.approval!.approval_id;

        const [a, b] = await Promise.all([approveInPty(approvalId, "alice", env), approveInPty(approvalId, "bob", env)]);
        expect([a.code, b.code]).toEqual([0, 0]);
        const released = [a.output, b.output].filter((output) => /Released: int_\w+ is approved \(by (alice, bob|bob, alice)\)/.test(output));
        expect(released).toHaveLength(1);

        const trail = await store.audit.trail(id);
        expect(trail.filter((e) => e.event === "approval_answered").map((e) => e.actor).sort()).toEqual(["alice", "bob"]);
        expect(trail.filter((e) => e.event === "approved")).toHaveLength(1);
        expect(trail.filter((e) => e.event === "approval_executed")).toHaveLength(1);
        expect((await store.approvals.get(approvalId))!.status).toBe("executed");
        expect((await store.audit.verify()).ok).toBe(true);
      } finally {
        await store.close();
      }
    }, 240_000);
  });
}
