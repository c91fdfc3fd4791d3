/**
 * The human's terminal commands run in-process: the same runApprovalsCommand
 * and runAuditCommand the built CLI runs (terminal.test.ts drives that in a
 * pseudo-terminal), here on a scripted terminal so coverage and mutation
 * testing see them. The store is the server's own file; the agent's side is a
 * real MCP client.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../src/config.js";
import { runApprovalsCommand } from "../../src/guard/cli-approvals.js";
import { runAuditCommand } from "../../src/guard/cli-audit.js";
import { localExecutorFor } from "../../src/local-executor.js";
import { displayWidth } from "../../src/guard/text-layout.js";
import { silentLogger } from "../../src/log.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { fakeTerminal, type TypedAnswer } from "./fake-terminal.js";
import { auditOf, cliEnv, events } from "./helpers.js";
import { dbOf } from "../support/sqlite.js";
import { tempDir } from "../contract/harness.js";

interface Pending {
  approval: { approval_id: string; instructions: string };
}

const PASSPHRASE = "correct horse battery";

let h: Harness | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await h?.close();
  dir?.remove();
  h = undefined;
  dir = undefined;
});

function configOf(dir: string, command: "approvals" | "audit", args: string[]): Readonly<Config> {
  return parseConfig([command, ...args], cliEnv(dir));
}

async function approvals(args: string[], answers: TypedAnswer[] = [], options: { isTTY?: boolean; columns?: number } = {}) {
  const terminal = fakeTerminal(answers, options);
  const config = configOf(h!.dir, "approvals", args);
  const code = await runApprovalsCommand(config, config.args, terminal.io, { openLocalExecutor: localExecutorFor(config, silentLogger()), apiWaitMs: 0 });
  expect(terminal.untyped()).toEqual([]);
  return { code, terminal };
}

async function pendingFor(id: string, tool = "approve_intervention", extra: Record<string, unknown> = {}): Promise<string> {
  const { approval } = await h!.ok<Pending>(tool, { intervention_id: id, ...extra });
  return approval.approval_id;
}

async function setPassphrase(): Promise<void> {
  const { code, terminal } = await approvals(["passphrase"], [
    { expect: /New operator passphrase \(at least 12 characters\): $/, send: `${PASSPHRASE}\r` },
    { expect: /Repeat it: $/, send: `${PASSPHRASE}\r` },
  ]);
  expect(code).toBe(0);
  expect(terminal.rawWhen(/passphrase.*: $|Repeat it: $/)).toEqual([true, true]);
  expect(terminal.output()).not.toContain(PASSPHRASE);
}

describe("approvals approve, in-process", () => {
  it("shows the action, asks, and releases at once with the note audited", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, id);
    const approvalId = await pendingFor(id);
    const { code, terminal } = await approvals(["approve", approvalId], [
      { expect: /Approve and release this message\? \[y\/N\] $/, send: "y\r" },
      { expect: /Note for the audit log \(optional\): $/, send: "checked the copy\r" },
    ]);
    expect(terminal.stdout()).toContain(`APPROVE intervention ${id}`);
    expect(terminal.stdout()).toMatch(new RegExp(`Released: ${id} is approved \\(by human:cli\\) and goes out at or after `));
    expect(code).toBe(0);
    expect(storedStatus(h.runtime, id)).toMatchObject({ status: "approved", version: before.version + 1 });
    expect(events(h.runtime, id).slice(-2)).toEqual(["approved", "approval_executed"]);
    expect(auditOf(h.runtime, id).find((e) => e.event === "approval_answered")).toMatchObject({ actor: "human:cli", detail: { note: "checked the copy", answer: "approve" } });
    // Asked again, it is no longer pending.
    const again = await approvals(["approve", approvalId]);
    expect(again.code).toBe(1);
    expect(again.terminal.stderr()).toContain(`Request ${approvalId} is executed; nothing to approve. Released: ${id}`);
  });

  it("rolls back a delivered message and says what a rollback can undo on its channel", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "delivered", "AND channel = 'in_app'");
    const approvalId = await pendingFor(id, "rollback_intervention", { reason: "sent by mistake" });
    const { code, terminal } = await approvals(["approve", approvalId], [
      { expect: /Approve rolling back this message\? \[y\/N\] $/, send: "yes\r" },
      { expect: /Note.*: $/, send: "\r" },
    ]);
    expect(code).toBe(0);
    expect(terminal.stdout()).toContain(`Rolled back: ${id} is rolled back (by human:cli); the in-app message is withdrawn from the user's inbox.`);
    expect(storedStatus(h.runtime, id).status).toBe("rolled_back");
  });

  it("refuses without an interactive terminal; 'n' or an empty answer approves nothing and names the deny command", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const piped = await approvals(["approve", approvalId], [], { isTTY: false });
    expect(piped.code).toBe(2);
    expect(piped.terminal.stderr()).toBe(
      "Refusing: 'approvals approve' needs an interactive terminal. Run it yourself in a terminal, not through an agent, a script or a pipe.\n",
    );
    for (const answer of ["n\r", "\r", "yess\r"]) {
      const no = await approvals(["approve", approvalId], [{ expect: /\[y\/N\] $/, send: answer }]);
      expect(no.code).toBe(1);
      expect(no.terminal.stdout()).toMatch(new RegExp(`Not approved; nothing changed\\. To refuse it outright: .*approvals deny ${approvalId} --db `));
    }
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    expect(events(h.runtime, id)).not.toContain("approval_answered");
  });

  it("stops on Ctrl-C or the end of input, changing nothing", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const interrupted = await approvals(["approve", approvalId], [{ expect: /\[y\/N\] $/, send: "y\u0003" }]);
    expect(interrupted.code).toBe(1);
    expect(interrupted.terminal.stderr()).toBe("Interrupted. Nothing changed.\n");
    const ended = await approvals(["approve", approvalId], [{ expect: /\[y\/N\] $/, send: "\u0004" }]);
    expect(ended.code).toBe(1);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
  });

  it("approves a flagged intervention only once the human acknowledges the flag", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 1");
    const approvalId = await pendingFor(id);
    const refused = await approvals(["approve", approvalId], [{ expect: /This intervention is FLAGGED \(why: above\)\. Do you acknowledge the flag\? \[y\/N\] $/, send: "n\r" }]);
    expect(refused.code).toBe(1);
    expect(refused.terminal.stdout()).toContain("Not approved: the flag was not acknowledged. Nothing changed.");
    expect(refused.terminal.stdout()).not.toContain("Approve and release this message?");
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    const acknowledged = await approvals(["approve", approvalId], [
      { expect: /acknowledge the flag\? \[y\/N\] $/, send: "y\r" },
      { expect: /Approve and release this message\? \[y\/N\] $/, send: "y\r" },
      { expect: /Note.*: $/, send: "\r" },
    ]);
    expect(acknowledged.code).toBe(0);
    expect(storedStatus(h.runtime, id).status).toBe("approved");
    expect(auditOf(h.runtime, id).find((e) => e.event === "approval_answered")!.detail).toMatchObject({ acknowledged_flag: true });
  });

  it("at 80 columns keeps every row within the width and the summary and the real flag on the last 24 rows before the question", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 1 AND flag_reason LIKE 'avoid_terms:%'");
    const approvalId = await pendingFor(id);
    const { terminal } = await approvals(["approve", approvalId], [{ expect: /\[y\/N\] $/, send: "n\r" }], { columns: 80 });
    const rows = terminal.stdout().split("\n");
    const question = rows.findIndex((row) => row.includes("[y/N]"));
    const screen = rows.slice(Math.max(0, question - 23), question + 1).join("\n");
    expect(screen).toMatch(new RegExp(`APPROVE intervention ${id}: release this (email|in-app message|webhook event) to`));
    expect(screen).toContain("FLAGGED: read why before approving");
    expect(screen).toMatch(/ {2}- Quality check failed \(avoid_terms\): /);
    expect(screen).toMatch(/\nGoes out: [^\n]+/);
    expect(screen).toMatch(/\nRequest expires [^\n]+\(in (10|9) minutes\)/);
    for (const row of rows.slice(0, question)) expect(displayWidth(row), row).toBeLessThanOrEqual(80);
    expect(rows.filter((row) => row.startsWith("Quality checks:"))).toEqual(["Quality checks: FAILED"]);
  });

  it("asks the passphrase with echo off once one is set, refuses a wrong one, releases on the right one", async () => {
    h = await startHarness();
    await setPassphrase();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const steps = (typed: string): TypedAnswer[] => [
      { expect: /\[y\/N\] $/, send: "y\r" },
      { expect: /Note.*: $/, send: "\r" },
      { expect: /Operator passphrase: $/, send: `${typed}\r` },
    ];
    const wrong = await approvals(["approve", approvalId], steps("guess guess guess"));
    expect(wrong.code).toBe(1);
    expect(wrong.terminal.stderr()).toMatch(/^Not approved: Wrong passphrase; nothing was approved\. 4 attempts left for this request/);
    expect(wrong.terminal.rawWhen(/Operator passphrase: $/)).toEqual([true]);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    const right = await approvals(["approve", approvalId], steps(PASSPHRASE));
    expect(right.code).toBe(0);
    expect(right.terminal.stdout()).toContain(`Released: ${id} is approved`);
    expect(right.terminal.output()).not.toContain(PASSPHRASE);
  });
});

describe("approvals passphrase, in-process", () => {
  it("refuses without a terminal, a short one, two that differ, and a change without the current one", async () => {
    h = await startHarness();
    const piped = await approvals(["passphrase"], [], { isTTY: false });
    expect(piped.code).toBe(2);
    expect(piped.terminal.stderr()).toMatch(/^Refusing: 'approvals passphrase' needs an interactive terminal/);
    const short = await approvals(["passphrase"], [{ expect: /New operator passphrase.*: $/, send: "short\r" }]);
    expect(short.code).toBe(1);
    expect(short.terminal.stderr()).toBe("Too short; nothing changed. Use at least 12 characters.\n");
    const differ = await approvals(["passphrase"], [
      { expect: /New operator passphrase.*: $/, send: `${PASSPHRASE}\r` },
      { expect: /Repeat it: $/, send: `${PASSPHRASE}!\r` },
    ]);
    expect(differ.code).toBe(1);
    expect(differ.terminal.stderr()).toBe("The two entries differ; nothing changed.\n");
    await setPassphrase();
    const wrong = await approvals(["passphrase"], [{ expect: /Current operator passphrase: $/, send: "not the one at all\r" }]);
    expect(wrong.code).toBe(1);
    expect(wrong.terminal.stderr()).toBe("Wrong passphrase; nothing changed.\n");
    const replaced = await approvals(["passphrase"], [
      { expect: /Current operator passphrase: $/, send: `${PASSPHRASE}\r` },
      { expect: /New operator passphrase.*: $/, send: "another long passphrase\r" },
      { expect: /Repeat it: $/, send: "another long passphrase\r" },
    ]);
    expect(replaced.code).toBe(0);
    const audited = (await h.runtime.store.audit.recent(50)).filter((row) => row.event === "approval_passphrase_set").map((row) => JSON.parse(row.detail) as unknown);
    expect(audited).toEqual([{ replaced: false }, { replaced: true }]);
  });
});

describe("approvals deny, list, show, in-process", () => {
  it("denies from a pipe as unverified, with the note; the agent may ask again", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const { code, terminal } = await approvals(["deny", approvalId, "not", "now"], [], { isTTY: false });
    expect(code).toBe(0);
    expect(terminal.stdout()).toBe(`Denied ${approvalId}, unverified (not an interactive terminal): nothing was released, but the agent may ask again.\n`);
    expect(auditOf(h.runtime, id).find((e) => e.event === "approval_answered")).toMatchObject({ detail: { note: "not now" } });
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    const again = await approvals(["deny", approvalId], [], { isTTY: false });
    expect(again.code).toBe(1);
    expect(again.terminal.stderr()).toMatch(/^Not denied: /);
  });

  it("denies finally in a terminal with the passphrase, unverified when the human skips it", async () => {
    h = await startHarness();
    await setPassphrase();
    const first = seededId(h.runtime, "planned", "AND flagged = 0");
    const skipped = await approvals(["deny", await pendingFor(first)], [{ expect: /Operator passphrase \(makes the denial final; Enter to skip\): $/, send: "\r" }]);
    expect(skipped.code).toBe(0);
    expect(skipped.terminal.stdout()).toMatch(/unverified \(no operator passphrase given\): nothing was released, but the agent may ask again\.\n$/);
    const approvalId = await pendingFor(first);
    const final = await approvals(["deny", approvalId], [{ expect: /Enter to skip\): $/, send: `${PASSPHRASE}\r` }]);
    expect(final.code).toBe(0);
    expect(final.terminal.stdout()).toContain(`\nDenied ${approvalId}. Nothing was released; the agent is told on its next call, and this version stays denied.\n`);
    expect(final.terminal.rawWhen(/Enter to skip/)).toEqual([true]);
  });

  it("lists open requests in two rows each, shows one with its status, and says when there are none", async () => {
    h = await startHarness();
    const empty = await approvals(["list"]);
    expect(empty.terminal.stdout()).toBe("No open approval requests.\n");
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const approvalId = await pendingFor(id);
    const { code, terminal } = await approvals(["list"]);
    expect(code).toBe(0);
    const lines = terminal.stdout().split("\n");
    expect(lines[0]).toMatch(/^REQUEST {15}ACTION {3}STATUS {3}USER {10}CHANNEL FLAG EXPIRES$/);
    expect(lines[1]!.startsWith(approvalId.padEnd(22) + "approve  pending  ")).toBe(true);
    expect(lines[2]).toMatch(/^ {2}“.+”$/);
    expect(lines).toHaveLength(4);
    const shown = await approvals(["show", approvalId]);
    expect(shown.code).toBe(0);
    expect(shown.terminal.stdout()).toMatch(/^Status: pending\. Waiting for a human decision; the request expires at /);
    expect(shown.terminal.stdout()).toContain(`APPROVE intervention ${id}`);
  });

  it("answers help, a missing or unknown request and an unknown command with what to type", async () => {
    h = await startHarness();
    const help = await approvals(["help"]);
    expect(help.code).toBe(0);
    expect(help.terminal.stdout()).toMatch(/^Usage: retivo-mcp approvals <command>\n {2}list {14}open approval requests\n/);
    const bare = fakeTerminal();
    expect(await runApprovalsCommand(configOf(h.dir, "approvals", []), [], bare.io, { openLocalExecutor: () => { throw new Error("unused"); } })).toBe(2);
    expect(bare.stderr()).toMatch(/^Usage: retivo-mcp approvals <command>/);
    const missing = await approvals(["approve"]);
    expect(missing.code).toBe(1);
    expect(missing.terminal.stderr()).toMatch(/^Usage: /);
    const unknown = await approvals(["show", "apr_nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.terminal.stderr()).toMatch(/^No approval request apr_nope\. Run '.*approvals list --db .*'\.\n$/);
    const command = await approvals(["frobnicate"]);
    expect(command.code).toBe(2);
    expect(command.terminal.stderr()).toMatch(/^Unknown approvals command 'frobnicate'\.\nUsage: /);
  });
});

describe("audit, in-process", () => {
  async function audit(args: string[], options: { isTTY?: boolean; columns?: number } = { isTTY: false }) {
    const terminal = fakeTerminal([], options);
    const config = configOf(h!.dir, "audit", args);
    return { code: await runAuditCommand(config, config.args, terminal.io), terminal };
  }

  it("lists an intervention's trail by `audit ID` and `audit list ID`, the recent N, and verifies the chain", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await pendingFor(id);
    const short = await audit([id]);
    const long = await audit(["list", id]);
    expect(short.code).toBe(0);
    expect(short.terminal.stdout()).toBe(long.terminal.stdout());
    expect(short.terminal.stdout()).toMatch(new RegExp(`^\\d+  \\S+  approval_requested  ${id}  agent:test-client  \\{.*\\}\\n$`));
    const recent = await audit(["list", "1"]);
    expect(recent.terminal.stdout().trim().split("\n")).toHaveLength(1);
    expect((await audit(["list", "int_nothing_here"])).terminal.stdout()).toBe("No audit events for int_nothing_here.\n");
    const verified = await audit(["verify"]);
    expect(verified.code).toBe(0);
    expect(verified.terminal.stdout()).toMatch(/^Audit chain intact: \d+ rows verified\.\n$/);
    const help = await audit(["help"]);
    expect(help.code).toBe(0);
    expect(help.terminal.stdout()).toMatch(/^Usage: retivo-mcp audit <command>/);
    expect((await audit(["nonsense"])).code).toBe(2);
  });

  it("reads `audit N` as a count, anything else as an id, and refuses what is neither, on stderr", async () => {
    h = await startHarness();
    // A refusal that names no intervention is audited without one: shown as "-".
    await h.fails("approve_intervention", { intervention_id: 5 });
    const latest = await audit(["list", "1"]);
    expect(latest.terminal.stdout()).toMatch(/^\d+  \S+  approval_refused  -  agent:test-client  \{.*\}\n$/);
    const twelve = await audit(["list", "12"]);
    expect(twelve.terminal.stdout().trim().split("\n").length).toBeGreaterThan(1);
    const recentFifty = await audit([]);
    expect(recentFifty.terminal.stdout()).toMatch(/approval_refused  -  agent:test-client/);
    expect(recentFifty.terminal.stdout()).toBe((await audit(["list"])).terminal.stdout());
    for (const target of ["3x", "x3"]) expect((await audit(["list", target])).terminal.stdout()).toBe(`No audit events for ${target}.\n`);
    for (const args of [["int_abc", "extra"], ["xint_abc"], ["int_abc!"], ["nonsense"]]) {
      const refused = await audit(args);
      expect(refused.code, args.join(" ")).toBe(2);
      expect(refused.terminal.stdout()).toBe("");
      expect(refused.terminal.stderr()).toMatch(/^Usage: retivo-mcp audit <command>/);
    }
  });

  it("says so when a store has no audit events yet", async () => {
    dir = tempDir();
    const terminal = fakeTerminal([], { isTTY: false });
    const config = parseConfig(["audit"], cliEnv(dir.path));
    expect(await runAuditCommand(config, config.args, terminal.io)).toBe(0);
    expect(terminal.stdout()).toBe("No audit events.\n");
  });

  it("keeps rows whole on a terminal of 20 columns or fewer", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await pendingFor(id);
    const narrow = await audit([id], { isTTY: true, columns: 20 });
    expect(narrow.terminal.stdout().trim().split("\n")).toHaveLength(1);
  });

  it("says where the chain breaks when a row was changed behind the store's back, and exits 1", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await pendingFor(id);
    // Tampering is by definition outside the code: someone with write access to the file drops the guard and rewrites a row.
    const db = dbOf(h.runtime);
    const seq = db.prepare("SELECT MAX(seq) FROM audit_log").pluck().get() as number;
    db.exec("DROP TRIGGER audit_log_no_update");
    db.prepare("UPDATE audit_log SET actor = 'human:someone-else' WHERE seq = ?").run(seq);
    const broken = await audit(["verify"]);
    expect(broken.code).toBe(1);
    expect(broken.terminal.stdout()).toBe("");
    expect(broken.terminal.stderr()).toMatch(new RegExp(`^Audit chain BROKEN at row ${seq}: .+\\.\\n$`));
  });

  it("wraps a row to the terminal's width with indented continuations; piped, one line a row", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "delivered");
    await pendingFor(id, "rollback_intervention", { reason: "a long reason ".repeat(20) });
    const piped = await audit([id]);
    expect(piped.terminal.stdout().trim().split("\n")).toHaveLength(1);
    const wrapped = await audit([id], { isTTY: true, columns: 60 });
    const rows = wrapped.terminal.stdout().trim().split("\n");
    expect(rows.length).toBeGreaterThan(1);
    expect(rows[0]).toMatch(/^\d+  /);
    for (const row of rows.slice(1)) expect(row).toMatch(/^ +\S/);
  });
});
