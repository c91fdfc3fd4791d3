/**
 * An agent must not be able to lock the human out. In passphrase mode the
 * approval link is shown to the agent; an agent that posts wrong passphrases
 * there voids that request (it has to ask anew) and locks the page for a
 * while, but the human's own terminal keeps its own count and still approves.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { auditOf, cliEnv, openPage, postPage, requireBuiltCli, runCliInPty } from "./helpers.js";
import { setPassphrase } from "../../src/guard/passphrase.js";

interface Pending {
  status: string;
  approval: { approval_id: string; approval_url: string | null };
}

const PASSPHRASE = "the operator's own phrase";
let h: Harness | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("an agent guessing on the approval page", () => {
  it("voids the request and locks the page, never the terminal; audits its guesses as unverified", async () => {
    h = await startHarness();
    await setPassphrase(h.runtime.store, PASSPHRASE);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const first = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    const link = first.approval.approval_url!;
    expect(link).toMatch(/\/approvals\/apr_/);

    // The agent holds the link: it posts five wrong passphrases.
    const page = await openPage(link);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await postPage(link, { token: page.token, csrf: page.csrf, decision: "approve", passphrase: `guess number ${i}` })).status);
    expect(statuses).toEqual([403, 403, 403, 403, 403]);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
    const trail = auditOf(h.runtime, id);
    expect(trail.filter((e) => e.event === "approval_refused").map((e) => e.actor)).toEqual(Array(5).fill("unverified:page"));
    expect(trail.some((e) => e.actor === "human:page")).toBe(false);
    expect(trail.filter((e) => e.event === "approval_voided")).toHaveLength(1);

    // The agent asks again: a new request; the page is locked for now, but the terminal is not.
    const second = await h.ok<Pending>("approve_intervention", { intervention_id: id });
    expect(second.approval.approval_id).not.toBe(first.approval.approval_id);
    const fresh = await openPage(second.approval.approval_url!);
    const onPage = await postPage(second.approval.approval_url!, { token: fresh.token, csrf: fresh.csrf, decision: "approve", passphrase: PASSPHRASE });
    expect(onPage.status).toBe(403);
    expect(onPage.html).toMatch(/refused until .*has its own limit and still works/);

    const { code, output } = await runCliInPty(`approvals approve ${second.approval.approval_id}`, cliEnv(h.dir), [
      { expect: /\[y\/N\] $/, send: "y\r" },
      { expect: /Note.*: $/, send: "\r" },
      { expect: /Operator passphrase: $/, send: `${PASSPHRASE}\r` },
    ]);
    expect(output).toContain("Released:");
    expect(code).toBe(0);
    expect(storedStatus(h.runtime, id).status).toBe("approved");
  });
});
