/**
 * `retivo-mcp audit`: the trail of one intervention after a guarded call, and
 * `audit verify` exiting 1 once a row was edited behind the log's back.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { dbOf } from "../support/sqlite.js";
import { seededId, startHarness, type Harness } from "../support/harness.js";
import { acceptConfirmed, cliEnv, requireBuiltCli, runCliPiped } from "./helpers.js";

let h: Harness | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("audit CLI", () => {
  it("lists an intervention's approval trail and verifies the chain", async () => {
    h = await startHarness({ onElicit: acceptConfirmed });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.ok("approve_intervention", { intervention_id: id });

    const listed = await runCliPiped(["audit", "list", id], cliEnv(h.dir));
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/approval_requested[\s\S]*approval_answered[\s\S]*approved[\s\S]*approval_executed/);
    expect(listed.stdout).toContain('"client":"test-client 1.0.0"');

    const verified = await runCliPiped(["audit", "verify"], cliEnv(h.dir));
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/Audit chain intact: \d+ rows verified/);
  });

  it("takes `audit ID` as `help` advertises it: the same trail as `audit list ID`", async () => {
    h = await startHarness({ onElicit: acceptConfirmed });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.ok("approve_intervention", { intervention_id: id });
    const help = await runCliPiped(["help"], cliEnv(h.dir));
    expect(help.stdout).toMatch(/retivo-mcp audit \[list\|verify\|ID\]/);

    const [short, long, unknown] = await Promise.all([
      runCliPiped(["audit", id], cliEnv(h.dir)),
      runCliPiped(["audit", "list", id], cliEnv(h.dir)),
      runCliPiped(["audit", "int_nosuchintervention0"], cliEnv(h.dir)),
    ]);
    expect(short.code).toBe(0);
    expect(short.stdout).toBe(long.stdout);
    expect(short.stdout).toMatch(/approval_requested[\s\S]*approval_executed/);
    expect(unknown).toMatchObject({ code: 0, stdout: "No audit events for int_nosuchintervention0.\n" });
    // Anything else is still a usage error.
    expect((await runCliPiped(["audit", "bogus"], cliEnv(h.dir))).code).toBe(2);
  });

  it("detects a tampered row: verify exits 1 and names the row", async () => {
    h = await startHarness({ onElicit: acceptConfirmed });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.ok("approve_intervention", { intervention_id: id });
    const db = dbOf(h.runtime);
    const answered = db.prepare("SELECT seq FROM audit_log WHERE intervention_id = ? AND event = 'approval_answered'").pluck().get(id) as number;
    // Someone with write access to the file rewrites who answered.
    db.exec("DROP TRIGGER audit_log_no_update");
    db.prepare("UPDATE audit_log SET actor = 'human:cli' WHERE seq = ?").run(answered);

    const verified = await runCliPiped(["audit", "verify"], cliEnv(h.dir));
    expect(verified.code).toBe(1);
    expect(verified.stderr).toContain(`Audit chain BROKEN at row ${answered}`);
  });
});
