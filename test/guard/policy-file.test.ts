/**
 * The approval policy file (RETIVO_POLICY): validated at start, so unknown
 * keys and impossible rules stop the built server with a message naming
 * them; first match wins; no rule can ask for fewer than one human; a deny
 * rule refuses without a request; the tier is stored on the request, so a
 * restart with an edited policy leaves an open request's tier as it was.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy, verdictFor, type PolicySubject } from "../../src/guard/policy.js";
import { openStore } from "../../src/store/index.js";
import { CLI, cliEnv, requireBuiltCli } from "./helpers.js";
import { addOperators, agentOver, call, churnPlaybookIn, textOf, webhookWithOffer, type Pending } from "./team-support.js";

let dir: string | undefined;
let client: Client | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await client?.close();
  client = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const problemsOf = (policy: unknown): string => {
  try {
    parsePolicy(JSON.stringify(policy), "policy.json");
    return "";
  } catch (error) {
    return (error as Error).message;
  }
};

describe("validation", () => {
  it("names unknown keys wherever they are", () => {
    const message = problemsOf({ rulez: [], rules: [{ name: "a", require: 1, match: { chanel: "email" }, approvers: 2 }] });
    expect(message).toContain('(top level): unknown key "rulez"');
    expect(message).toContain('rules[0].match: unknown key "chanel"');
    expect(message).toContain('rules[0]: unknown key "approvers"');
  });

  it("refuses fewer than one human, and rules whose times cannot happen", () => {
    expect(problemsOf({ rules: [{ name: "none", require: 0 }] })).toContain("rules[0].require: at least one human must approve");
    expect(problemsOf({ rules: [{ name: "half", require: 1.5 }] })).toContain("rules[0].require");
    expect(problemsOf({ rules: [{ name: "nothing" }] })).toContain("set require (how many distinct operators approve) or deny: true");
    expect(problemsOf({ rules: [{ name: "late", require: 1, remind_after: "10m", expires_after: "5m" }] })).toContain("remind_after must come before expires_after");
    expect(problemsOf({ rules: [{ name: "order", require: 1, remind_after: "5m", escalate_after: "2m" }] })).toContain("escalate_after must come after remind_after");
    expect(problemsOf({ rules: [{ name: "both", deny: true, require: 2 }] })).toContain("a deny rule cannot also set require");
    expect(problemsOf({ rules: [{ name: "when", require: 1, expires_after: "soon" }] })).toContain('a duration such as "90s"');
    expect(problemsOf({ rules: [{ name: "twice", require: 1 }, { name: "twice", require: 2 }] })).toContain('names two rules "twice"');
  });

  it("stops the built server at start, naming the problem, for a bad file and for a rule no operators can satisfy", async () => {
    dir = mkdtempSync(join(tmpdir(), "retivo-policy-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ rules: [{ name: "x", require: 1, match: { chanel: "email" } }] }));
    const first = await startServer(cliEnv(dir, { RETIVO_POLICY: bad, LOG_LEVEL: "error" }));
    expect(first.code).toBe(2);
    expect(first.stderr).toContain(`The approval policy ${bad} (RETIVO_POLICY) is not valid`);
    expect(first.stderr).toContain('rules[0].match: unknown key "chanel"');

    await addOperators({ dbPath: join(dir, "retivo.db") }, ["alice", "bob"]);
    const impossible = join(dir, "impossible.json");
    writeFileSync(impossible, JSON.stringify({ principals: { local: "dave" }, rules: [{ name: "three keys", require: 3 }] }));
    const second = await startServer(cliEnv(dir, { RETIVO_POLICY: impossible, LOG_LEVEL: "error" }));
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('rule "three keys" needs 3 distinct operators, but only 2 are configured');
    expect(second.stderr).toContain('principals["local"] names operator "dave", who does not exist');

    const missing = await startServer(cliEnv(dir, { RETIVO_POLICY: join(dir, "nope.json"), LOG_LEVEL: "error" }));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read the approval policy .*nope\.json \(RETIVO_POLICY\): ENOENT/);
  }, 60_000);
});

function startServer(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "serve"], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("matching", () => {
  const subject: PolicySubject = { action: "approve", dataSet: "live", channel: "webhook", offers: true, flagged: false, playbookId: "pb", principal: "local" };
  const policy = parsePolicy(
    JSON.stringify({
      rules: [
        { name: "test keys", match: { data_set: "test" }, require: 1 },
        { name: "flagged", match: { flagged: true }, deny: true, deny_reason: "flagged messages are rejected, not approved" },
        { name: "offers on webhooks", match: { channel: ["webhook", "email"], offers: true }, require: 2, requester_may_approve: false, expires_after: 1800, remind_after: "10m" },
        { name: "everything else", require: 1, expires_after: "1h" },
      ],
    }),
    "policy.json",
  );

  it("takes the first rule that matches, in order", () => {
    expect(verdictFor(policy, subject)).toMatchObject({ kind: "tier", rule: "offers on webhooks", required: 2, requesterMayApprove: false, ttlMs: 1_800_000, remindAfterMs: 600_000, escalateAfterMs: null });
    expect(verdictFor(policy, { ...subject, dataSet: "test" })).toMatchObject({ rule: "test keys", required: 1 });
    expect(verdictFor(policy, { ...subject, flagged: true })).toEqual({ kind: "deny", rule: "flagged", reason: "flagged messages are rejected, not approved" });
    expect(verdictFor(policy, { ...subject, offers: false })).toMatchObject({ rule: "everything else", ttlMs: 3_600_000 });
  });

  it("keeps today's behaviour without a policy or a matching rule", () => {
    expect(verdictFor(undefined, subject)).toEqual({ kind: "tier", rule: null, required: 1, requesterMayApprove: true, ttlMs: null, remindAfterMs: null, escalateAfterMs: null });
    expect(verdictFor(parsePolicy('{"rules":[{"name":"rollbacks","match":{"action":"rollback"},"require":2}]}', "p"), subject)).toMatchObject({ rule: null, required: 1 });
  });
});

describe("through the built server", () => {
  it("refuses by a deny rule without a request, and keeps an open request's tier across a restart with an edited policy", async () => {
    dir = mkdtempSync(join(tmpdir(), "retivo-policy-run-"));
    const policyFile = join(dir, "policy.json");
    writeFileSync(policyFile, JSON.stringify({ rules: [{ name: "no webhooks", match: { channel: "webhook" }, deny: true }] }));
    const env = cliEnv(dir, { RETIVO_POLICY: policyFile });
    await addOperators({ dbPath: env.RETIVO_DB! }, ["alice", "bob"]);
    client = await agentOver(env);
    const id = await webhookWithOffer(client, churnPlaybookIn(env.RETIVO_DB!));
    const refused = await call(client, "approve_intervention", { intervention_id: id });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('The approval policy refuses this approve of');
    expect(textOf(refused)).toContain('rule "no webhooks"');
    const store = await openStore({ dbPath: env.RETIVO_DB! });
    try {
      expect(await store.approvals.requestsOf(id, "approve", "local")).toEqual([]);
      await client.close();

      writeFileSync(policyFile, JSON.stringify({ rules: [{ name: "two for webhooks", match: { channel: "webhook" }, require: 2 }] }));
      client = await agentOver(env);
      const pending = (await call(client, "approve_intervention", { intervention_id: id })).structuredContent as unknown as Pending;
      expect(pending.approval!.instructions).toContain("needs 2 of: alice, bob");
      await client.close();

      // Edited to one human: the open request still needs two.
      writeFileSync(policyFile, JSON.stringify({ rules: [{ name: "one for webhooks", match: { channel: "webhook" }, require: 1 }] }));
      client = await agentOver(env);
      const same = (await call(client, "approve_intervention", { intervention_id: id })).structuredContent as unknown as Pending;
      expect(same.approval!.approval_id).toBe(pending.approval!.approval_id);
      expect(same.approval!.instructions).toContain("needs 2 of: alice, bob");
      expect((await store.approvals.get(pending.approval!.approval_id))!).toMatchObject({ required_approvals: 2 });
    } finally {
      await store.close();
    }
  }, 60_000);
});
