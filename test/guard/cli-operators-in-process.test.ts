/**
 * `approvals approve|deny --as NAME` in-process (the same runApprovalsCommand
 * the built CLI runs), on a scripted terminal: with operators the decider
 * must be named and exist (told before anything is asked) and give their own
 * passphrase, and a named operator's proven denial is final; without
 * operators `--as` is a mistake. (The requester's own operator, barred by a
 * policy, and counted approvals: team-approvals.test.ts.)
 */
import { afterEach, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { runApprovalsCommand } from "../../src/guard/cli-approvals.js";
import { passphraseRecord } from "../../src/guard/passphrase.js";
import { localExecutorFor } from "../../src/local-executor.js";
import { silentLogger } from "../../src/log.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { fakeTerminal, type TypedAnswer } from "./fake-terminal.js";
import { cliEnv } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function approvals(args: string[], answers: TypedAnswer[] = []) {
  const terminal = fakeTerminal(answers, {});
  const config = parseConfig(["approvals", ...args], cliEnv(h!.dir));
  const code = await runApprovalsCommand(config, config.args, terminal.io, { openLocalExecutor: localExecutorFor(config, silentLogger()), apiWaitMs: 0 });
  expect(terminal.untyped()).toEqual([]);
  return { code, out: terminal.output() };
}

const approveAs = (operator: string, passphrase: string): TypedAnswer[] => [
  { expect: /Approve and release this message\? \[y\/N\] $/, send: "y\r" },
  { expect: /Note for the audit log \(optional\): $/, send: "\r" },
  { expect: new RegExp(`Passphrase of ${operator}: $`), send: `${passphrase}\r` },
];

it("names the decider, refuses an unknown one early, checks their own passphrase, and denies finally as a named operator", async () => {
  h = await startHarness();
  for (const name of ["alice", "bob"]) {
    await h.runtime.store.operators.add({ name, passphrase: await passphraseRecord(`${name} passphrase long`), principal: name === "bob" ? "local" : null, created_at: new Date().toISOString() }, { tenant_id: "live", event: "operator_added", actor: "test" });
  }
  const id = seededId(h.runtime, "planned", "AND flagged = 0");
  const { approval } = await h.ok<{ approval: { approval_id: string; instructions: string } }>("approve_intervention", { intervention_id: id });
  const approvalId = approval.approval_id;

  const unnamed = await approvals(["approve", approvalId]);
  expect(unnamed.code).toBe(2);
  expect(unnamed.out).toMatch(/Name the operator who decides: .*approve .* --as NAME .*\(one of: alice, bob\)/);
  const unknown = await approvals(["approve", approvalId, "--as", "mallory"]);
  expect(unknown.code).toBe(2);
  expect(unknown.out).toContain("No operator named mallory (one of: alice, bob). Nothing changed.");

  const wrong = await approvals(["approve", approvalId, "--as", "alice"], approveAs("alice", "not alice's at all"));
  expect(wrong.code).toBe(1);
  expect(wrong.out).toMatch(/Not approved: Wrong passphrase; nothing was approved\. 4 attempts left/);

  // Without a policy the tier is one operator: alice's approval releases it.
  const released = await approvals(["approve", approvalId, "--as", "alice"], approveAs("alice", "alice passphrase long"));
  expect(released.out).toMatch(new RegExp(`Released: ${id} is approved \\(by alice\\)`));
  expect(storedStatus(h.runtime, id).status).toBe("approved");

  const other = seededId(h.runtime, "planned", "AND flagged = 0");
  const next = (await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: other })).approval.approval_id;
  const denied = await approvals(["deny", next, "not", "this", "one", "--as", "bob"], [{ expect: /Passphrase of bob \(makes the denial final; Enter to skip\): $/, send: "bob passphrase long\r" }]);
  expect(denied.code).toBe(0);
  expect(denied.out).toContain(`Denied ${next}. Nothing was released`);
  expect((await h.runtime.store.approvals.get(next))!).toMatchObject({ status: "denied", decided_by: "bob", answer: "deny" });
  expect(await h.fails("approve_intervention", { intervention_id: other })).toMatch(/A human denied this approve .*bob/);
});

it("refuses --as on a store without operators", async () => {
  h = await startHarness();
  const id = seededId(h.runtime, "planned", "AND flagged = 0");
  const { approval } = await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
  const { code, out } = await approvals(["approve", approval.approval_id, "--as", "alice"]);
  expect(code).toBe(2);
  expect(out).toContain("--as names an operator, but this store has none");
});
