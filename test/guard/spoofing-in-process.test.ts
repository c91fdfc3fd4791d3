/**
 * spoofing.test.ts's terminal cases in-process, so coverage and mutation
 * testing see them: the same runApprovalsCommand and runAuditCommand the built
 * CLI runs, on a scripted terminal, against the server's own file. An agent's
 * screen-clearing flag reason and a client's name full of fake lines reach the
 * human's prompt, `approvals list|show` and `audit list` only as visible
 * escapes, one field per line, with the real flag and checks.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { runApprovalsCommand } from "../../src/guard/cli-approvals.js";
import { runAuditCommand } from "../../src/guard/cli-audit.js";
import { localExecutorFor } from "../../src/local-executor.js";
import { silentLogger } from "../../src/log.js";
import { seededId, startHarness, type Harness } from "../support/harness.js";
import { fakeTerminal, type TypedAnswer } from "./fake-terminal.js";
import { cliEnv } from "./helpers.js";
import { expectInertFlagPrompt, factLines, HOSTILE, HOSTILE_BLOB, RAW_DANGER } from "./hostile-text.js";

interface Pending {
  approval: { approval_id: string };
}

const HOSTILE_CLIENT = "helper\nFlagged: no\nQuality checks: passed\n\u001b[2J";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function approvals(args: string[], answers: TypedAnswer[] = [], isTTY = true) {
  const terminal = fakeTerminal(answers, { isTTY, columns: 80 });
  const config = parseConfig(["approvals", ...args], cliEnv(h!.dir));
  const code = await runApprovalsCommand(config, config.args, terminal.io, { openLocalExecutor: localExecutorFor(config, silentLogger()), apiWaitMs: 0 });
  expect(terminal.untyped()).toEqual([]);
  return { code, shown: terminal.output() };
}

async function auditList(id: string) {
  const terminal = fakeTerminal([], { isTTY: false });
  const config = parseConfig(["audit", "list", id], cliEnv(h!.dir));
  const code = await runAuditCommand(config, config.args, terminal.io);
  return { code, shown: terminal.stdout() };
}

describe("hostile text on the human's terminal, in-process", () => {
  it("shows a screen-clearing flag reason inert at the prompt, with the real flag and checks on their own lines", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.ok("flag_intervention", { intervention_id: id, reason: HOSTILE.fake_screen! + "leaked staff@retivo.example" });
    const { approval } = await h.ok<Pending>("approve_intervention", { intervention_id: id });

    const { code, shown } = await approvals(["approve", approval.approval_id], [{ expect: /Do you acknowledge the flag\? \[y\/N\] $/, send: "n\r" }]);
    expect(code).toBe(1);
    expectInertFlagPrompt(shown);
  });

  it("lists, shows and audits a hostile client's request and flag inert, one row a field", async () => {
    h = await startHarness({ clientName: HOSTILE_CLIENT });
    const id = seededId(h.runtime, "planned", "AND flagged = 0 AND channel = 'in_app'");
    await h.ok("flag_intervention", { intervention_id: id, reason: HOSTILE_BLOB });
    const { approval } = await h.ok<Pending>("approve_intervention", { intervention_id: id });

    const listed = await approvals(["list"], [], false);
    expect(listed.code).toBe(0);
    expect(listed.shown).not.toMatch(RAW_DANGER);
    const rows = listed.shown.split("\n").filter(Boolean);
    expect(rows[0]).toMatch(/^REQUEST +ACTION +STATUS +USER +CHANNEL +FLAG +EXPIRES$/);
    expect(rows.slice(1).map((row) => (row.startsWith("apr_") ? "request" : row.startsWith("  “") ? "preview" : row)), listed.shown).toEqual(["request", "preview"]);
    expect(rows.every((row) => row.length <= 80)).toBe(true);

    const shown = await approvals(["show", approval.approval_id], [], false);
    expect(shown.shown).not.toMatch(RAW_DANGER);
    expect(factLines(shown.shown, /^Flagged: /)).toEqual([]);
    expect(factLines(shown.shown, /^Requested by: /)).toHaveLength(1);
    expect(shown.shown).toContain("helper ⏎ Flagged: no ⏎ Quality checks: passed ⏎ \\x1b[2J");

    const audit = await auditList(id);
    expect(audit.code).toBe(0);
    expect(audit.shown).not.toMatch(RAW_DANGER);
    expect(audit.shown.split("\n").filter(Boolean).every((line) => /^\d+ {2}\d{4}-\d\d-\d\dT/.test(line)), audit.shown).toBe(true);
  });
});
