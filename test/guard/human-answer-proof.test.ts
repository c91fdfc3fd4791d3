/**
 * answerApproval (src/guard/human-answer.ts) once something must prove who
 * answers: the single operator passphrase, and named operators with their own.
 * On a real SQLite store with real scrypt, called as the page, the terminal,
 * the form and a client's reported decline call it: what each refusal says,
 * how it is audited (an unproven try is never a human's), what a proven and an
 * unproven denial are recorded as, and the five wrong tries that void a
 * request. human-answer-basics.test.ts covers the same function with neither.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { answerApproval, type HumanAnswer } from "../../src/guard/human-answer.js";
import { REFUSALS_PER_WINDOW } from "../../src/guard/guard-audit.js";
import { passphraseRecord, setPassphrase } from "../../src/guard/passphrase.js";
import { openStore, type ApprovalTier, type Store } from "../../src/store/index.js";
import { dbOf } from "../support/sqlite.js";
import { openRequest, plannedIntervention } from "./store-requests.js";

const PASSPHRASE = "correct horse battery";
const ALICE = "alice's own long passphrase";

let store: Store | undefined;
let dir: string | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function openFresh(): Promise<Store> {
  dir = mkdtempSync(join(tmpdir(), "retivo-answer-proof-"));
  store = await openStore({ dbPath: join(dir, "retivo.db") });
  return store;
}

async function withPassphrase(): Promise<Store> {
  const s = await openFresh();
  await setPassphrase(s, PASSPHRASE);
  return s;
}

async function withOperators(): Promise<Store> {
  const s = await openFresh();
  for (const [name, passphrase] of [
    ["alice", ALICE],
    ["bob", "bob's own long passphrase"],
  ] as const) {
    await s.operators.add({ name, passphrase: await passphraseRecord(passphrase), principal: null, created_at: new Date().toISOString() }, { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } });
  }
  return s;
}

let serial = 0;
/** A fresh pending request for an intervention of its own, valid for a day. */
function newRequest(s: Store, options: { flagged?: boolean; tier?: Partial<ApprovalTier> } = {}): Promise<string> {
  const flag = options.flagged ? { flagged: true, flag_reason: "claims a discount" } : {};
  return openRequest(s, plannedIntervention(`int_answerproof${String(++serial).padStart(8, "0")}`, flag), { tier: options.tier });
}

const refusals = (s: Store) =>
  (dbOf(s).prepare("SELECT actor, detail FROM audit_log WHERE event = 'approval_refused' ORDER BY seq").all() as Array<{ actor: string; detail: string }>).map((r) => ({ actor: r.actor, ...JSON.parse(r.detail) }));
const approve = (via: HumanAnswer["via"], more: Partial<HumanAnswer> = {}): HumanAnswer => ({ approve: true, via, answer: "approve", clientName: "c", interactive: true, ...more });
const deny = (via: HumanAnswer["via"], more: Partial<HumanAnswer> = {}): HumanAnswer => ({ approve: false, via, answer: via === "client" ? "decline" : "deny", clientName: "c", interactive: true, ...more });

describe("answering with the single operator passphrase set", { timeout: 120_000 }, () => {
  it("refuses an approval without the passphrase on every channel, audits it as an unverified try, and costs no attempt", async () => {
    const s = await withPassphrase();
    const id = await newRequest(s);
    const required = { ok: false, reason: "passphrase_required", message: "The operator passphrase is required to approve." };
    expect(await answerApproval(s, id, approve("form"))).toMatchObject(required);
    // Even were a form to carry the passphrase: the client relays a form, so it never counts.
    expect(await answerApproval(s, id, approve("form", { passphrase: PASSPHRASE }))).toMatchObject(required);
    expect(await answerApproval(s, id, approve("page"))).toMatchObject(required);
    expect(await answerApproval(s, id, approve("cli", { passphrase: "" }))).toMatchObject(required);
    expect(await answerApproval(s, id, approve("page", { passphrase: PASSPHRASE.toUpperCase() }))).toMatchObject({ reason: "wrong_passphrase" });
    expect(await s.approvals.get(id)).toMatchObject({ status: "pending", failed_attempts: 1 });
    expect(refusals(s)).toMatchObject([
      { actor: "unverified:form", via: "form", reason: "passphrase_required" },
      { actor: "unverified:form", via: "form", reason: "passphrase_required" },
      { actor: "unverified:page", via: "page", reason: "passphrase_required" },
      { actor: "unverified:cli", via: "cli", reason: "passphrase_required" },
      { actor: "unverified:page", via: "page", reason: "wrong_passphrase", consecutive_failures: 1, locked_until: null },
    ]);
  });

  it("budgets the refusals that cost nothing per channel, so a flood on the page leaves the terminal's on record", async () => {
    const s = await withPassphrase();
    const id = await newRequest(s);
    const now = new Date();
    for (let i = 0; i < REFUSALS_PER_WINDOW + 5; i++) await answerApproval(s, id, approve("page"), now);
    expect(await answerApproval(s, id, approve("cli"), now)).toMatchObject({ reason: "passphrase_required" });
    const recorded = refusals(s);
    expect(recorded.filter((r) => r.via === "page")).toHaveLength(REFUSALS_PER_WINDOW);
    expect(recorded.at(-1)).toMatchObject({ actor: "unverified:cli", via: "cli", reason: "passphrase_required" });
  });

  it("counts down the tries left on a request, voids it at the fifth wrong one, and says so", async () => {
    const s = await withPassphrase();
    const id = await newRequest(s);
    const wrong = async (via: "page" | "cli") => (await answerApproval(s, id, approve(via, { passphrase: "not the passphrase" }))) as { message?: string };
    expect(await wrong("page")).toEqual({ ok: false, reason: "wrong_passphrase", message: "Wrong passphrase; nothing was approved. 4 attempts left for this request.", row: expect.objectContaining({ id }) });
    expect((await wrong("cli")).message).toBe("Wrong passphrase; nothing was approved. 3 attempts left for this request.");
    expect((await wrong("page")).message).toBe("Wrong passphrase; nothing was approved. 2 attempts left for this request.");
    expect((await wrong("cli")).message).toBe("Wrong passphrase; nothing was approved. 1 attempt left for this request.");
    const fifth = await wrong("page");
    expect(fifth).toEqual({
      ok: false,
      reason: "too_many_wrong_passphrases",
      message: "Too many wrong passphrases: this request is now void and nothing was approved. The agent can ask again.",
      row: expect.objectContaining({ id, status: "void", outcome: "5 wrong operator passphrases were entered for this request" }),
    });
    const voided = dbOf(s).prepare("SELECT actor, detail FROM audit_log WHERE event = 'approval_voided'").all() as Array<{ actor: string; detail: string }>;
    expect(voided.map((v) => ({ actor: v.actor, ...JSON.parse(v.detail) }))).toMatchObject([{ actor: "system:guard", was: "pending", why: "5 wrong operator passphrases were entered for this request" }]);
    expect(await answerApproval(s, id, approve("cli", { passphrase: PASSPHRASE }))).toMatchObject({ ok: false, reason: "not_pending" });
  });

  it("throttles a channel after five wrong tries in a row there, pointing the page to the terminal, which still works", async () => {
    const s = await withPassphrase();
    const spent = await newRequest(s);
    let last;
    for (let i = 0; i < 5; i++) last = await answerApproval(s, spent, approve("page", { passphrase: `wrong ${i}` }));
    expect(last).toMatchObject({ reason: "too_many_wrong_passphrases" });
    const id = await newRequest(s);
    const throttled = await answerApproval(s, id, approve("page", { passphrase: PASSPHRASE }));
    expect(throttled).toMatchObject({ ok: false, reason: "passphrase_throttled" });
    expect(throttled.ok === false && throttled.message).toMatch(
      /^Too many wrong operator passphrases on the approval page: attempts there are refused until \d{4}-\d\d-\d\dT[\d:.]+Z\. Nothing was approved\. The terminal \(`retivo-mcp approvals approve`\) has its own limit and still works\.$/,
    );
    const audited = refusals(s).at(-1);
    expect(audited).toMatchObject({ actor: "unverified:page", reason: "passphrase_throttled", locked_until: expect.any(String) });
    expect(await s.approvals.get(id)).toMatchObject({ status: "pending", failed_attempts: 0 });
    expect(await answerApproval(s, id, approve("cli", { passphrase: PASSPHRASE }))).toMatchObject({ ok: true, row: { status: "approved" } });
    expect(await s.approvals.decisionsOf(id)).toEqual([expect.objectContaining({ answer: "approve", channel: "cli", vouched_by: "passphrase" })]);
  });

  it("tells the terminal of its own lockout when the wrong try starts it, without pointing anywhere else", async () => {
    const s = await withPassphrase();
    const first = await newRequest(s);
    for (let i = 0; i < 4; i++) await answerApproval(s, first, approve("cli", { passphrase: `wrong ${i}` }));
    const second = await newRequest(s);
    const fifthInARow = await answerApproval(s, second, approve("cli", { passphrase: "wrong again" }));
    expect(fifthInARow.ok === false && fifthInARow.message).toMatch(
      /^Wrong passphrase; nothing was approved\. 4 attempts left for this request\. Too many wrong passphrases in a row in the terminal: further attempts there are refused until \S+Z\.$/,
    );
    const locked = await answerApproval(s, second, approve("cli", { passphrase: PASSPHRASE }));
    expect(locked.ok === false && locked.message).toMatch(/^Too many wrong operator passphrases in the terminal: attempts there are refused until \S+Z\. Nothing was approved\.$/);
  });

  it("records a denial as final only when it is proven, and a client's reported decline as the client's", async () => {
    const s = await withPassphrase();
    const cases: Array<[HumanAnswer, string, string, string]> = [
      [deny("page", { passphrase: PASSPHRASE }), "channel", "human:page", "deny"],
      [deny("cli", { passphrase: PASSPHRASE }), "channel", "human:cli", "deny"],
      [deny("client", { clientName: "Claude" }), "client report", "client:Claude", "decline"],
      [deny("page"), "nothing", "unverified:page", "deny_unverified"],
      [deny("cli", { passphrase: "wrong one here" }), "nothing", "unverified:cli", "deny_unverified"],
      [deny("form", { passphrase: PASSPHRASE }), "nothing", "unverified:form", "deny_unverified"],
    ];
    for (const [answer, vouchedBy, actor, recorded] of cases) {
      const id = await newRequest(s);
      expect(await answerApproval(s, id, answer), JSON.stringify(answer)).toMatchObject({ ok: true, row: { status: "denied" } });
      expect(await s.approvals.decisionsOf(id), JSON.stringify(answer)).toEqual([expect.objectContaining({ answer: "reject", vouched_by: vouchedBy, operator: actor })]);
      const answered = dbOf(s).prepare("SELECT detail FROM audit_log WHERE event = 'approval_answered' AND detail ->> '$.approval_id' = ?").get(id) as { detail: string };
      expect(JSON.parse(answered.detail), JSON.stringify(answer)).toMatchObject({ answer: recorded });
    }
  });

  it("asks for the flag to be acknowledged before anything else, and records the acknowledgement", async () => {
    const s = await withPassphrase();
    const id = await newRequest(s, { flagged: true });
    expect(await answerApproval(s, id, approve("cli", { passphrase: PASSPHRASE }))).toMatchObject({
      ok: false,
      reason: "flag_not_acknowledged",
      message: "This intervention is flagged: acknowledge the flag to approve it.",
    });
    expect(refusals(s)).toMatchObject([{ actor: "human:cli", via: "cli", reason: "flag_not_acknowledged" }]);
    expect(await s.approvals.get(id)).toMatchObject({ status: "pending", failed_attempts: 0 });
    expect(await answerApproval(s, id, approve("cli", { passphrase: PASSPHRASE, acknowledgedFlag: true }))).toMatchObject({ ok: true });
    const answered = dbOf(s).prepare("SELECT detail FROM audit_log WHERE event = 'approval_answered' AND detail ->> '$.approval_id' = ?").get(id) as { detail: string };
    expect(JSON.parse(answered.detail)).toMatchObject({ approved: true, acknowledged_flag: true });
  });
});

describe("answering with named operators", { timeout: 120_000 }, () => {
  it("sends the form and an unnamed answer to the page or the terminal", async () => {
    const s = await withOperators();
    const id = await newRequest(s);
    expect(await answerApproval(s, id, approve("form", { operator: "alice", passphrase: ALICE }))).toMatchObject({
      ok: false,
      reason: "operator_required",
      message: "Named operators decide this store's requests: answer on the approval page or with `retivo-mcp approvals approve ID --as NAME`.",
    });
    expect(await answerApproval(s, id, approve("cli", { passphrase: ALICE }))).toMatchObject({
      ok: false,
      reason: "operator_required",
      message: "Name the operator who decides (`--as NAME` in the terminal, the operator field on the page).",
    });
    // A login counts on the page only.
    expect(await answerApproval(s, id, approve("cli", { loggedIn: { operator: "alice", vouchedBy: "oidc:issuer" } }))).toMatchObject({ reason: "operator_required" });
    expect(await answerApproval(s, id, approve("page", { operator: "alice" }))).toMatchObject({ ok: false, reason: "passphrase_required", message: "The operator's passphrase is required." });
    expect(refusals(s).map((r) => [r.actor, r.reason])).toEqual([
      ["human:form", "operator_required"],
      ["human:cli", "operator_required"],
      ["human:cli", "operator_required"],
      ["unverified:page", "passphrase_required"],
    ]);
    expect(await s.approvals.get(id)).toMatchObject({ status: "pending", failed_attempts: 0 });
  });

  it("answers an unknown operator exactly as a wrong passphrase, and takes the right one's", async () => {
    const s = await withOperators();
    const id = await newRequest(s);
    const unknown = await answerApproval(s, id, approve("page", { operator: "mallory", passphrase: ALICE }));
    const wrong = await answerApproval(s, id, approve("page", { operator: "alice", passphrase: "bob's own long passphrase" }));
    expect(unknown).toEqual({ ok: false, reason: "wrong_passphrase", message: "Wrong passphrase; nothing was approved. 4 attempts left for this request.", row: expect.objectContaining({ id }) });
    expect(wrong).toMatchObject({ ok: false, reason: "wrong_passphrase", message: "Wrong passphrase; nothing was approved. 3 attempts left for this request." });
    expect(refusals(s)).toMatchObject([
      { actor: "unverified:page", via: "page", reason: "wrong_passphrase", consecutive_failures: 0, locked_until: null },
      { actor: "unverified:page", via: "page", reason: "wrong_passphrase", consecutive_failures: 1, locked_until: null },
    ]);
    expect(await answerApproval(s, id, approve("page", { operator: "alice", passphrase: ALICE, note: "  fine  " }))).toEqual({ ok: true, row: expect.objectContaining({ status: "approved" }), approvers: ["alice"] });
    expect(await s.approvals.decisionsOf(id)).toEqual([expect.objectContaining({ operator: "alice", answer: "approve", channel: "page", vouched_by: "passphrase", note: "fine" })]);
  });

  it("counts one operator once on a request that needs two, and says so when they answer again", async () => {
    const s = await withOperators();
    const id = await newRequest(s, { tier: { rule: "two", required: 2 } });
    expect(await answerApproval(s, id, approve("cli", { operator: "alice", passphrase: ALICE }))).toEqual({ ok: true, row: expect.objectContaining({ status: "pending" }), approvers: ["alice"] });
    expect(await answerApproval(s, id, approve("page", { operator: "alice", passphrase: ALICE }))).toMatchObject({ ok: false, reason: "repeated" });
    expect(await answerApproval(s, id, approve("page", { operator: "bob", passphrase: "bob's own long passphrase" }))).toEqual({
      ok: true,
      row: expect.objectContaining({ status: "approved" }),
      approvers: ["alice", "bob"],
    });
  });

  it("takes a verified login on the page without a passphrase, and refuses the operator the policy excludes", async () => {
    const s = await withOperators();
    const id = await newRequest(s);
    expect(await answerApproval(s, id, approve("page", { loggedIn: { operator: "bob", vouchedBy: "oidc:https://id.example" } }))).toMatchObject({ ok: true, approvers: ["bob"] });
    expect(await s.approvals.decisionsOf(id)).toEqual([expect.objectContaining({ operator: "bob", vouched_by: "oidc:https://id.example" })]);

    const excluded = await newRequest(s, { tier: { excludedOperator: "alice" } });
    const message = "alice runs the agent that asked for this, and the approval policy needs someone else to decide it. Nothing was recorded.";
    expect(await answerApproval(s, excluded, approve("page", { operator: "alice", passphrase: ALICE }))).toMatchObject({ ok: false, reason: "excluded", message });
    expect(await answerApproval(s, excluded, approve("page", { loggedIn: { operator: "alice", vouchedBy: "oidc:https://id.example" } }))).toMatchObject({ ok: false, reason: "excluded", message });
    expect(await answerApproval(s, excluded, deny("cli", { operator: "alice", passphrase: ALICE }))).toMatchObject({ ok: false, reason: "excluded", message });
    expect(await s.approvals.get(excluded)).toMatchObject({ status: "pending", failed_attempts: 0 });
    expect(await s.approvals.decisionsOf(excluded)).toEqual([]);
    expect(refusals(s).map((r) => [r.actor, r.reason])).toEqual([
      ["human:page", "excluded"],
      ["human:page", "excluded"],
      ["human:cli", "excluded"],
    ]);
  });

  it("records a named operator's proven denial as theirs, and any other as unverified", async () => {
    const s = await withOperators();
    const cases: Array<[HumanAnswer, string, string]> = [
      [deny("cli", { operator: "alice", passphrase: ALICE }), "alice", "passphrase"],
      [deny("page", { loggedIn: { operator: "bob", vouchedBy: "oidc:https://id.example" } }), "bob", "oidc:https://id.example"],
      [deny("client", { clientName: "Claude" }), "client:Claude", "client report"],
      [deny("page", { operator: "alice", passphrase: "not alice's at all" }), "unverified:page", "nothing"],
      [deny("page", { operator: "alice" }), "unverified:page", "nothing"],
      [deny("cli"), "unverified:cli", "nothing"],
      [deny("form", { operator: "alice", passphrase: ALICE }), "unverified:form", "nothing"],
    ];
    for (const [answer, operator, vouchedBy] of cases) {
      const id = await newRequest(s);
      expect(await answerApproval(s, id, answer), JSON.stringify(answer)).toMatchObject({ ok: true, row: { status: "denied" } });
      expect(await s.approvals.decisionsOf(id), JSON.stringify(answer)).toEqual([expect.objectContaining({ operator, answer: "reject", vouched_by: vouchedBy })]);
    }
  });
});
