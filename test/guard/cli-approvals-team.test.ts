/**
 * `approvals approve|deny|show` with named operators, in-process
 * (guard/cli-approvals.ts), on a scripted terminal: a real MCP client asks
 * under a policy needing two of alice, bob and carol with carol (the
 * requester's own) barred. The command must name who decides, refuse carol,
 * ask each operator's own passphrase without echo, count the first approval
 * without releasing, and release on the second; show lists each decision.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { runApprovalsCommand } from "../../src/guard/cli-approvals.js";
import { passphraseRecord } from "../../src/guard/passphrase.js";
import { localExecutorFor } from "../../src/local-executor.js";
import { silentLogger } from "../../src/log.js";
import { openStore } from "../../src/store/index.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { fakeTerminal, type TypedAnswer } from "./fake-terminal.js";
import { cliEnv } from "./helpers.js";

const PASSPHRASES: Record<string, string> = { alice: "alice correct horse", bob: "bob battery staple", carol: "carol purple monkey" };

let h: Harness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function teamServer(): Promise<Harness> {
  dir = mkdtempSync(join(tmpdir(), "retivo-cli-team-"));
  const db = join(dir, "retivo.db");
  const store = await openStore({ dbPath: db });
  for (const [name, passphrase] of Object.entries(PASSPHRASES)) {
    await store.operators.add(
      { name, passphrase: await passphraseRecord(passphrase), principal: null, created_at: new Date().toISOString() },
      { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } },
    );
  }
  await store.close();
  const policy = join(dir, "policy.json");
  writeFileSync(policy, JSON.stringify({ principals: { local: "carol" }, rules: [{ name: "two of three", require: 2, requester_may_approve: false }] }));
  return startHarness({ env: { RETIVO_DB: db, RETIVO_DATA_DIR: dir, RETIVO_POLICY: policy } });
}

async function approvals(args: string[], answers: TypedAnswer[] = []) {
  const terminal = fakeTerminal(answers);
  const config = parseConfig(["approvals", ...args], cliEnv(dir!));
  const code = await runApprovalsCommand(config, config.args, terminal.io, { openLocalExecutor: localExecutorFor(config, silentLogger()), apiWaitMs: 0 });
  expect(terminal.untyped()).toEqual([]);
  return { code, terminal };
}

const approveAs = (name: string, passphrase = PASSPHRASES[name]!): TypedAnswer[] => [
  { expect: /Approve and release this message\? \[y\/N\] $/, send: "y\r" },
  { expect: /Note for the audit log \(optional\): $/, send: "\r" },
  { expect: new RegExp(`Passphrase of ${name}: $`), send: `${passphrase}\r` },
];

describe("approvals with named operators, in-process", { timeout: 120_000 }, () => {
  it("names who may decide, refuses the requester's own, counts one approval and releases on the second", async () => {
    h = await teamServer();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const { approval } = await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
    const approvalId = approval.approval_id;

    const unnamed = await approvals(["approve", approvalId]);
    expect(unnamed.code).toBe(2);
    expect(unnamed.terminal.stderr()).toMatch(new RegExp(`^Name the operator who decides: .*approve ${approvalId} --as NAME.* \\(one of: alice, bob\\)\\. Nothing changed\\.\\n$`));

    const own = await approvals(["approve", approvalId, "--as", "carol"]);
    expect(own.code).toBe(2);
    expect(own.terminal.stderr()).toBe("carol runs the agent that asked for this, and the approval policy needs someone else to decide it. Nothing changed.\n");

    const wrong = await approvals(["approve", approvalId, "--as", "alice"], approveAs("alice", PASSPHRASES.bob));
    expect(wrong.code).toBe(1);
    expect(wrong.terminal.stderr()).toMatch(/^Not approved: /);

    const first = await approvals(["approve", approvalId, "--as", "alice"], approveAs("alice"));
    expect(first.code).toBe(0);
    expect(first.terminal.stdout()).toContain("Approvals: needs 2 of: alice, bob; none given yet; not carol (the requester's own).");
    expect(first.terminal.stdout()).toMatch(/Your approval is counted; nothing is released yet: needs 2 of: alice, bob; 1 given \(alice\); not carol \(the requester's own\)\. The request expires at \S+\.\n$/);
    expect(first.terminal.rawWhen(/Passphrase of alice: $/)).toEqual([true]);
    expect(first.terminal.output()).not.toContain(PASSPHRASES.alice);
    expect(storedStatus(h.runtime, id).status).toBe("planned");

    const shown = await approvals(["show", approvalId]);
    expect(shown.terminal.stdout()).toMatch(/^Status: pending\. .*\nApprovals: needs 2 of: alice, bob; 1 given \(alice\); not carol \(the requester's own\)\.\n {2}\S+ {2}alice approved \(cli, passphrase\)\n/);

    const second = await approvals(["approve", approvalId, "--as", "bob"], approveAs("bob"));
    expect(second.code).toBe(0);
    expect(second.terminal.stdout()).toMatch(new RegExp(`Released: ${id} is approved \\(by alice, bob\\)`));
    expect(storedStatus(h.runtime, id).status).toBe("approved");
  });

  it("denies finally with a named operator's passphrase, and refuses --as without operators", async () => {
    h = await teamServer();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const { approval } = await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
    const denied = await approvals(["deny", approval.approval_id, "--as", "bob", "not", "this", "week"], [
      { expect: /Passphrase of bob \(makes the denial final; Enter to skip\): $/, send: `${PASSPHRASES.bob}\r` },
    ]);
    expect(denied.code).toBe(0);
    expect(denied.terminal.stdout()).toBe(`Passphrase of bob (makes the denial final; Enter to skip): \nDenied ${approval.approval_id}. Nothing was released; the agent is told on its next call, and this version stays denied.\n`);
    const row = await h.runtime.store.approvals.get(approval.approval_id);
    expect(row).toMatchObject({ status: "denied", answer: "deny", decided_by: "bob", note: "not this week" });
  });
});

describe("approvals --as without operators, in-process", () => {
  it("refuses to name an operator the store does not have", async () => {
    h = await startHarness();
    dir = h.dir;
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const { approval } = await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
    const message = "--as names an operator, but this store has none (add them with 'retivo-mcp operators add NAME'). Nothing changed.\n";
    const approving = await approvals(["approve", approval.approval_id, "--as", "alice"]);
    expect([approving.code, approving.terminal.stderr()]).toEqual([2, message]);
    const denying = await approvals(["deny", approval.approval_id, "--as", "alice"]);
    expect([denying.code, denying.terminal.stderr()]).toEqual([2, message]);
    dir = undefined;
  });
});
