/**
 * Clients without elicitation get `pending_approval`; the human approves in
 * their own terminal with the built CLI, driven here through a real
 * pseudo-terminal, and that decision releases the intervention at once: the
 * agent's next call only reports it. Also: the CLI refuses without a TTY, and
 * the operator passphrase gates every approval.
 */
import { beforeAll, afterEach, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { acceptConfirmed, auditOf, cliEnv, events, requireBuiltCli, runCliInPty, runCliPiped } from "./helpers.js";

interface Pending {
  id: string;
  status: string;
  approval: { status: string; approval_id: string; expires_at: string; instructions: string; approval_url: string | null };
}

let h: Harness | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PASSPHRASE = "correct horse battery";

async function setPassphraseInPty(dir: string): Promise<string> {
  const { code, output } = await runCliInPty("approvals passphrase", cliEnv(dir), [
    { expect: /New operator passphrase.*: $/, send: `${PASSPHRASE}\r` },
    { expect: /Repeat it: $/, send: `${PASSPHRASE}\r` },
  ]);
  expect(code).toBe(0);
  expect(output).not.toContain(PASSPHRASE);
  return output;
}

describe("no elicitation: pending_approval, then the CLI", () => {
  it("releases the moment a human approves in the terminal; the agent's next call reports it", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, id);
    const first = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    expect(first).toMatchObject({ id, status: "planned", approval: { status: "pending_approval", approval_url: null } });
    expect(first.approval.instructions).toContain(`retivo-mcp approvals approve ${first.approval.approval_id}`);
    expect(Date.parse(first.approval.expires_at)).toBeGreaterThan(Date.now());

    // Asking again before the human answered: same request, still nothing changed.
    const again = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    expect(again.approval.approval_id).toBe(first.approval.approval_id);
    expect(storedStatus(h.runtime, id)).toEqual(before);

    const { code, output } = await runCliInPty(`approvals approve ${first.approval.approval_id}`, cliEnv(h.dir), [
      { expect: /Approve and release this message\? \[y\/N\] $/, send: "y\r" },
      { expect: /Note for the audit log \(optional\): $/, send: "checked the copy\r" },
    ]);
    expect(output).toContain(`APPROVE intervention ${id}`);
    expect(output).toContain("Message body (written by an AI model");
    expect(output).toMatch(new RegExp(`Released: ${id} is approved \\(by human:cli\\)`));
    expect(code).toBe(0);
    // No agent call in between: the human's decision was the release.
    expect(storedStatus(h.runtime, id)).toMatchObject({ status: "approved", version: before.version + 1 });
    expect(events(h.runtime, id).slice(-2)).toEqual(["approved", "approval_executed"]);

    const report = await h.call("approve_intervention", { intervention_id: id });
    expect(report.structuredContent).toEqual({ id, status: "approved" });
    expect((report.content as Array<{ text: string }>)[0]!.text).toContain(`a human approved it (human:cli, approval ${first.approval.approval_id})`);
    const answered = auditOf(h.runtime, id).find((e) => e.event === "approval_answered")!;
    expect(answered).toMatchObject({ actor: "human:cli", detail: { note: "checked the copy", answer: "approve" } });
    expect(events(h.runtime, id).filter((e) => e === "approved")).toHaveLength(1);
  });

  it("refuses to approve without an interactive terminal, and 'n' approves nothing", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const { approval } = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    const piped = await runCliPiped(["approvals", "approve", approval.approval_id], cliEnv(h.dir), "y\n");
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(/needs an interactive terminal/);

    const no = await runCliInPty(`approvals approve ${approval.approval_id}`, cliEnv(h.dir), [{ expect: /\[y\/N\] $/, send: "n\r" }]);
    expect(no.code).toBe(1);
    expect(no.output).toMatch(/Not approved; nothing changed/);
    expect((await h.ok<Pending>("approve_intervention", { intervention_id: id })).status).toBe("planned");

    const listed = await runCliPiped(["approvals", "list"], cliEnv(h.dir));
    expect(listed.stdout).toContain(approval.approval_id);
    const denied = await runCliPiped(["approvals", "deny", approval.approval_id, "not", "now"], cliEnv(h.dir));
    expect(denied.code).toBe(0);
    expect(auditOf(h.runtime, id).some((e) => e.event === "approval_answered" && e.detail.note === "not now")).toBe(true);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
  });
});

describe("operator passphrase", () => {
  it("makes a form accept insufficient and refuses a wrong passphrase in the CLI", async () => {
    const asked: string[] = [];
    h = await startHarness({ onElicit: (request) => (asked.push(JSON.stringify(request.params)), acceptConfirmed(request)) });
    await setPassphraseInPty(h.dir);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, id);

    const pending = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    expect(pending.approval.status).toBe("pending_approval");
    expect(pending.approval.approval_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/approvals\/apr_/);
    expect(asked[0]).toMatch(/cannot approve/);
    expect(asked[0]).not.toMatch(/"confirm"/);
    expect(storedStatus(h.runtime, id)).toEqual(before);

    const approvalId = pending.approval.approval_id;
    const wrong = await runCliInPty(`approvals approve ${approvalId}`, cliEnv(h.dir), [
      { expect: /\[y\/N\] $/, send: "y\r" },
      { expect: /Note.*: $/, send: "\r" },
      { expect: /Operator passphrase: $/, send: "guess guess guess\r" },
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.output).toMatch(/Wrong passphrase; nothing was approved\. 4 attempts left for this request/);
    expect(wrong.output).not.toContain("guess guess guess");
    expect((await h.ok<Pending>("approve_intervention", { intervention_id: id })).status).toBe("planned");
    expect(auditOf(h.runtime, id).some((e) => e.event === "approval_refused" && e.detail.reason === "wrong_passphrase")).toBe(true);

    const right = await runCliInPty(`approvals approve ${approvalId}`, cliEnv(h.dir), [
      { expect: /\[y\/N\] $/, send: "y\r" },
      { expect: /Note.*: $/, send: "\r" },
      { expect: /Operator passphrase: $/, send: `${PASSPHRASE}\r` },
    ]);
    expect(right.code).toBe(0);
    expect(right.output).toContain("Released:");
    expect(storedStatus(h.runtime, id).status).toBe("approved");
    expect(await h.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
  });

  it("cannot be replaced without the current passphrase", async () => {
    h = await startHarness();
    await setPassphraseInPty(h.dir);
    const { code, output } = await runCliInPty("approvals passphrase", cliEnv(h.dir), [
      { expect: /Current operator passphrase: $/, send: "not the one\r" },
    ]);
    expect(code).toBe(1);
    expect(output).toMatch(/Wrong passphrase; nothing changed/);
  });
});
