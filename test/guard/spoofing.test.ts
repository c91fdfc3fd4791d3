/**
 * Nothing an agent or a model wrote reaches a human unescaped. An agent flags
 * an intervention with a reason that clears the terminal and draws a fake
 * "Quality checks: passed" screen; a client names itself with new lines that
 * add fake "Flagged: no" lines and fake rows. Each surface (the CLI prompt,
 * `approvals list|show`, `audit list`, the form, the page) must show every
 * such string as visible escapes, keep one-line fields on one line, and keep
 * the quality failure that an agent's flag tries to hide.
 */
import type { ElicitRequest, ElicitRequestFormParams, ElicitRequestURLParams } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { seededId, startHarness, type Harness } from "../support/harness.js";
import { cliEnv, openPage, postPage, requireBuiltCli, runCliInPty, runCliPiped } from "./helpers.js";
import { expectInertFlagPrompt, factLines, HOSTILE, HOSTILE_BLOB, RAW_DANGER } from "./hostile-text.js";

interface Pending {
  approval: { approval_id: string };
}

let h: Harness | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HOSTILE_CLIENT = { name: "helper\nFlagged: no\nQuality checks: passed\n\u001b[2J", version: "1.0\u2028Flagged: no" };

/** What the terminal received, with the pty's own CRLF line endings normalised. */
const screen = (output: string) => output.replace(/\r\n/g, "\n");

describe("hostile text on human surfaces", () => {
  it("shows a screen-clearing flag reason inert in the CLI, with the real flag and checks on their own lines", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.ok("flag_intervention", { intervention_id: id, reason: HOSTILE.fake_screen! + "leaked staff@retivo.example" });
    const { approval } = await h.ok<Pending>("approve_intervention", { intervention_id: id });

    const { code, output } = await runCliInPty(`approvals approve ${approval.approval_id}`, cliEnv(h.dir), [
      { expect: /Do you acknowledge the flag\? \[y\/N\] $/, send: "n\r" },
    ]);
    const shown = screen(output);
    expect(code).toBe(1);
    expectInertFlagPrompt(shown);
  });

  it("renders every hostile string inert in the form, the page, approvals list|show and audit list", async () => {
    const forms: string[] = [];
    let page = "";
    h = await startHarness({
      clientName: HOSTILE_CLIENT.name,
      capabilities: { elicitation: { form: {} } },
      onElicit: (request: ElicitRequest) => {
        forms.push((request.params as ElicitRequestFormParams).message);
        return { action: "cancel" };
      },
    });
    const id = seededId(h.runtime, "planned", "AND flagged = 0 AND channel = 'in_app'");
    await h.ok("flag_intervention", { intervention_id: id, reason: HOSTILE_BLOB });
    await h.fails("approve_intervention", { intervention_id: id });

    // Another client, URL-capable, with the same hostile name: the page.
    const urlClient = await h.connectAnother({
      clientName: HOSTILE_CLIENT.name,
      capabilities: { elicitation: { url: {} } },
      onElicit: async (request: ElicitRequest) => {
        const url = (request.params as ElicitRequestURLParams).url;
        const opened = await openPage(url);
        page = opened.html;
        await postPage(url, { token: opened.token, csrf: opened.csrf, decision: "deny" });
        return { action: "accept" };
      },
    });
    await urlClient.callTool({ name: "approve_intervention", arguments: { intervention_id: id } });

    expect(forms).toHaveLength(1);
    const form = forms[0]!;
    expect(form).not.toMatch(RAW_DANGER);
    expect(factLines(form, /^Flagged: /)).toEqual([]);
    expect(factLines(form, /^Quality checks: /)).toHaveLength(1);
    expect(factLines(form, /^Requested by: /)).toHaveLength(1);
    expect(factLines(form, /^FLAGGED: /)).toHaveLength(1);
    // The page lays facts out as a definition list: the hostile name adds no term, only text inside one.
    expect(page).not.toMatch(RAW_DANGER);
    expect(page.match(/<dt>[^<]*<\/dt>/g)).toEqual(["<dt>To</dt>", "<dt>Goes out</dt>", "<dt>Request</dt>", "<dt>Requested by</dt>"]);
    expect(page).toContain("\\u202eon :degalF\\u202c");
    expect(page).toMatch(/<dt>Requested by<\/dt><dd>helper ⏎ Flagged: no ⏎ Quality checks: passed ⏎ \\x1b\[2J/);

    // The human denied that version; a new flag makes a new version, and a client without
    // elicitation (same hostile name) leaves its request open for the terminal.
    await h.ok("flag_intervention", { intervention_id: id, reason: `${HOSTILE_BLOB}\nagain` });
    const terminalClient = await h.connectAnother({ clientName: HOSTILE_CLIENT.name });
    const pending = await terminalClient.callTool({ name: "approve_intervention", arguments: { intervention_id: id } });
    const { approval } = pending.structuredContent as unknown as Pending;
    const env = cliEnv(h.dir);
    const listed = await runCliPiped(["approvals", "list"], env);
    expect(listed.stdout).not.toMatch(RAW_DANGER);
    // A header, then two rows per request: the request, and its preview behind quotes.
    const rows = listed.stdout.split("\n").filter(Boolean);
    expect(rows[0]).toMatch(/^REQUEST +ACTION +STATUS +USER +CHANNEL +FLAG +EXPIRES$/);
    expect(rows.slice(1).map((row) => (row.startsWith("apr_") ? "request" : row.startsWith("  “") ? "preview" : row)), listed.stdout).toEqual(["request", "preview"]);
    expect(rows.every((row) => row.length <= 80)).toBe(true);

    const shown = await runCliPiped(["approvals", "show", approval.approval_id], env);
    expect(shown.stdout).not.toMatch(RAW_DANGER);
    expect(factLines(shown.stdout, /^Flagged: /)).toEqual([]);

    const audit = await runCliPiped(["audit", "list", id], env);
    expect(audit.stdout).not.toMatch(RAW_DANGER);
    // Every printed line is one audit row: seq, then the timestamp.
    expect(audit.stdout.split("\n").filter(Boolean).every((line) => /^\d+ {2}\d{4}-\d\d-\d\dT/.test(line)), audit.stdout).toBe(true);
  });

  it("keeps a quality-check flag when an agent flags the intervention again, and shows both, the quality failure first", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 1 AND flag_reason LIKE 'pii:%'");
    const before = (await h.ok<{ intervention: { flag_reason: string } }>("get_intervention", { intervention_id: id })).intervention.flag_reason;
    await h.ok("flag_intervention", { intervention_id: id, reason: "Reviewed: all good, the email address is fine" });
    const after = (await h.ok<{ intervention: { flag_reason: string } }>("get_intervention", { intervention_id: id })).intervention.flag_reason;
    expect(after).toBe(`${before}; flagged for review: Reviewed: all good, the email address is fine`);
    const { approval } = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    const shown = (await runCliPiped(["approvals", "show", approval.approval_id], cliEnv(h.dir))).stdout.split("\n");
    const quality = shown.findIndex((line) => line.startsWith("  - Quality check failed (pii): contains an email address"));
    const review = shown.findIndex((line) => line.startsWith("  - Flagged for review by an agent or operator: Reviewed: all good"));
    expect(quality).toBeGreaterThan(0);
    expect(review).toBeGreaterThan(quality);
  });
});
