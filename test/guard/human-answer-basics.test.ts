/**
 * answerApproval (src/guard/human-answer.ts) without operators or a
 * passphrase, called as the page, the CLI and the form call it, on the server's
 * own SQLite file: an answer to no request, to a request already decided or
 * expired changes nothing and says why; what vouched for each channel's answer is
 * recorded with the decision; a note is trimmed and capped; a client may report
 * only a refusal. The channels' own tests (url, form, cli-in-process) cover the
 * same function behind each surface, and with a passphrase or operators.
 */
import { afterEach, describe, expect, it } from "vitest";
import { answerApproval } from "../../src/guard/human-answer.js";
import { seededId, startHarness, type Harness } from "../support/harness.js";

let h: Harness | undefined;
const asked: string[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  asked.length = 0;
});

/** A new pending request, for a planned intervention no earlier request of this case is for. */
async function pending(): Promise<string> {
  h ??= await startHarness({ overrides: { startReleaseLoop: false } });
  const id = seededId(h.runtime, "planned", `AND flagged = 0 ${asked.map((t) => `AND id <> '${t}'`).join(" ")}`);
  asked.push(id);
  const { approval } = await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
  return approval.approval_id;
}

describe("answerApproval", () => {
  it("changes nothing for an unknown, an already decided or an expired request, and says which", async () => {
    const id = await pending();
    const store = h!.runtime.store;
    expect(await answerApproval(store, "apr_unknown", { approve: true, via: "cli", answer: "approve", interactive: true })).toEqual({ ok: false, reason: "not_found", message: "No approval request apr_unknown." });
    const row = (await store.approvals.get(id))!;
    const late = new Date(Date.parse(row.expires_at));
    expect(await answerApproval(store, id, { approve: true, via: "cli", answer: "approve", interactive: true }, late)).toMatchObject({
      ok: false,
      reason: "expired",
      message: `Approval request ${id} expired at ${row.expires_at}; ask the agent to try again.`,
    });
    expect((await store.approvals.get(id))!.status).toBe("pending");
    expect((await answerApproval(store, id, { approve: true, via: "cli", answer: "approve", interactive: true })).ok).toBe(true);
    expect(await answerApproval(store, id, { approve: false, via: "cli", answer: "deny", interactive: true })).toMatchObject({
      ok: false,
      reason: "not_pending",
      message: `Approval request ${id} is already approved; nothing changed.`,
    });
  });

  it("records what vouched for each channel's approval, and the note trimmed and capped", async () => {
    for (const [via, vouched] of [
      ["cli", "terminal"],
      ["page", "page link"],
      ["form", "client form"],
    ] as const) {
      const id = await pending();
      const outcome = await answerApproval(h!.runtime.store, id, { approve: true, via, clientName: "c", answer: "approve", interactive: true, note: `  ${"n".repeat(2100)}  ` });
      expect(outcome).toMatchObject({ ok: true, row: { status: "approved" } });
      const [decision] = await h!.runtime.store.approvals.decisionsOf(id);
      expect(decision).toMatchObject({ answer: "approve", channel: via, vouched_by: vouched, note: "n".repeat(2000) });
    }
  });

  it("takes a refusal a client reports, as the client's, and never an approval", async () => {
    const id = await pending();
    await expect(answerApproval(h!.runtime.store, id, { approve: true, via: "client", clientName: "c", answer: "accept" })).rejects.toThrow("a client-reported answer can only refuse");
    expect(await answerApproval(h!.runtime.store, id, { approve: false, via: "client", clientName: "c", answer: "decline" })).toMatchObject({ ok: true, row: { status: "denied" } });
    expect(await h!.runtime.store.approvals.decisionsOf(id)).toEqual([expect.objectContaining({ answer: "reject", vouched_by: "client report" })]);
  });

  it("records a denial nobody proved as unverified, and one from an interactive terminal as the channel's", async () => {
    const piped = await pending();
    expect((await answerApproval(h!.runtime.store, piped, { approve: false, via: "cli", answer: "deny", interactive: false })).ok).toBe(true);
    expect(await h!.runtime.store.approvals.decisionsOf(piped)).toEqual([expect.objectContaining({ answer: "reject", vouched_by: "nothing" })]);
    const typed = await pending();
    expect((await answerApproval(h!.runtime.store, typed, { approve: false, via: "cli", answer: "deny", interactive: true })).ok).toBe(true);
    expect(await h!.runtime.store.approvals.decisionsOf(typed)).toEqual([expect.objectContaining({ answer: "reject", vouched_by: "channel" })]);
    // With no operators configured, an operator's name sent along (a hand-made page post) changes nothing.
    const named = await pending();
    expect((await answerApproval(h!.runtime.store, named, { approve: false, via: "page", answer: "deny", operator: "alice", passphrase: "anything at all" })).ok).toBe(true);
    expect(await h!.runtime.store.approvals.decisionsOf(named)).toEqual([expect.objectContaining({ answer: "reject", vouched_by: "channel", operator: "human:page" })]);
  });
});
