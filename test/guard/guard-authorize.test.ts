/**
 * The guard's own state machine (src/guard/guard.ts), driven in-process: a
 * guard made by createGuard over the harness's real SQLite store and real
 * local backend, asked by a GuardSession the test controls (its principal,
 * what its client can show, what the human answers). What it asserts is what
 * an agent and the team see: which channel a request is asked on, the exact
 * pending result and refusals (and each refusal's audit row), what the policy
 * is given to decide on, the notices sent, what a release reports back, and
 * the release loop. The MCP-level tests (guarded-call, form, url, audit-trail)
 * cover the same paths through a real client; this file is what a mutation
 * run of guard.ts can afford to run for every mutant.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createGuard, type ApprovalGuardWithPage, type GuardDeps } from "../../src/guard/guard.js";
import { answerApproval } from "../../src/guard/human-answer.js";
import { passphraseRecord, setPassphrase } from "../../src/guard/passphrase.js";
import type { GuardedExecutor } from "../../src/guard/release.js";
import type { GuardRequest } from "../../src/guard/types.js";
import { parsePolicy } from "../../src/guard/policy.js";
import { silentLogger } from "../../src/log.js";
import { oneLine } from "../../src/text/sanitize.js";
import { ApprovalRefusedError } from "../../src/errors.js";
import { startHarness, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";
import { recordingLogger, recordingSink } from "./recorders.js";
import { auditOf, openPage, postPage } from "./helpers.js";
import { sleep, until } from "../support/wait.js";
import { endedSignal, guardRequestOf, seededIds, sessionOf, type SessionScript } from "./guard-session.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { approvalPageUrl } from "../../src/guard/approval-page.js";
import { pageTokenFor } from "../../src/guard/page-token.js";

let h: Harness | undefined;
const guards: ApprovalGuardWithPage[] = [];
afterEach(async () => {
  for (const guard of guards.splice(0)) await guard.close?.();
  await h?.close();
  h = undefined;
});

async function harness(): Promise<Harness> {
  h = await startHarness({ overrides: { startReleaseLoop: false } });
  return h;
}

async function guardWith(more: Partial<GuardDeps> = {}): Promise<ApprovalGuardWithPage> {
  const guard = await createGuard({
    store: h!.runtime.store,
    config: h!.runtime.config,
    logger: silentLogger(),
    executor: h!.runtime.backend,
    backendMode: "local",
    backendId: "local",
    noticeSinks: [],
    ...more,
  });
  guards.push(guard);
  return guard;
}

const seeded = (status: string, flagged = false) => seededIds(h!.runtime, status, flagged);
const requestOf = (id: string, action: GuardRequest["action"] = "approve", reason?: string) => guardRequestOf(h!.runtime, id, action, reason);

/** The ApprovalRefusedError `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<ApprovalRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApprovalRefusedError);
  return error as ApprovalRefusedError;
}

const approvalsOf = (id: string) =>
  dbOf(h!.runtime).prepare("SELECT id, status, channel, principal, required_approvals, excluded_operator, expires_at, outcome, tier FROM approvals WHERE intervention_id = ? ORDER BY created_at, rowid").all(id) as Array<{
    id: string;
    status: string;
    channel: string;
    principal: string;
    required_approvals: number;
    excluded_operator: string | null;
    expires_at: string;
    outcome: string | null;
    tier: string | null;
  }>;

const refusedRows = (id: string) => auditOf(h!.runtime, id).filter((entry) => entry.event === "approval_refused");

const approveInTerminal = (approvalId: string, note?: string) =>
  answerApproval(h!.runtime.store, approvalId, { approve: true, via: "cli", answer: "approve", note: note ?? null, interactive: true });
const denyInTerminal = (approvalId: string, note: string | null) =>
  answerApproval(h!.runtime.store, approvalId, { approve: false, via: "cli", answer: "deny", note, interactive: true });

async function addOperator(name: string, principal: string | null = null): Promise<void> {
  await h!.runtime.store.operators.add(
    { name, passphrase: await passphraseRecord(`${name}'s own long passphrase`), principal, created_at: new Date().toISOString() },
    { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } },
  );
}

describe("which channel a request is asked on", () => {
  const cases: Array<{ who: string; script: SessionScript; secured: "none" | "passphrase" | "operators"; channel: string }> = [
    { who: "a local client with forms and pages", script: { form: () => ({ action: "decline" }), url: () => ({ action: "decline" }) }, secured: "none", channel: "form" },
    { who: "a local client with pages only", script: { url: () => ({ action: "decline" }) }, secured: "none", channel: "url" },
    { who: "a local client with neither", script: {}, secured: "none", channel: "terminal" },
    { who: "a bearer token's client with forms and pages", script: { principal: "token:ci", form: () => ({ action: "decline" }), url: () => ({ action: "decline" }) }, secured: "none", channel: "terminal" },
    { who: "a bearer token's client under a passphrase, with pages", script: { principal: "token:ci", url: () => ({ action: "decline" }) }, secured: "passphrase", channel: "url" },
    { who: "a client with forms and pages under a passphrase", script: { form: () => ({ action: "decline" }), url: () => ({ action: "decline" }) }, secured: "passphrase", channel: "url" },
    { who: "a client with forms only under a passphrase", script: { form: () => ({ action: "accept", content: {} }) }, secured: "passphrase", channel: "form_pointer" },
    { who: "a client with neither under a passphrase", script: {}, secured: "passphrase", channel: "terminal" },
    { who: "a client with forms only under named operators", script: { form: () => ({ action: "accept", content: {} }) }, secured: "operators", channel: "form_pointer" },
  ];
  for (const { who, script, secured, channel } of cases) {
    it(`asks ${who} on the ${channel} channel`, async () => {
      await harness();
      if (secured === "passphrase") await setPassphrase(h!.runtime.store, "correct horse battery");
      if (secured === "operators") await addOperator("alice");
      const guard = await guardWith();
      const [id] = seeded("planned");
      await guard.authorize(await requestOf(id!), sessionOf(script)).catch(() => undefined);
      expect(approvalsOf(id!).map((row) => row.channel)).toEqual([channel]);
    });
  }
});

describe("a request nobody has answered yet", () => {
  it("returns the exact pending result for the terminal, with no link when the page needs no passphrase", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    const decision = await guard.authorize(await requestOf(id!), sessionOf());
    const [row] = approvalsOf(id!);
    const db = h!.runtime.config.dbPath;
    expect(decision).toEqual({
      kind: "pending",
      pending: {
        status: "pending_approval",
        approval_id: row!.id,
        action: "approve",
        intervention_id: id,
        expires_at: row!.expires_at,
        instructions: expect.stringContaining(`approvals approve ${row!.id} --db ${db}`) as unknown as string,
        approval_url: null,
      },
    });
    expect(row).toMatchObject({ status: "pending", principal: "local", required_approvals: 1, excluded_operator: null });
    // Asked again, the same request is found, not a second one.
    const again = await guard.authorize(await requestOf(id!), sessionOf());
    expect(again).toMatchObject({ kind: "pending", pending: { approval_id: row!.id } });
    expect(approvalsOf(id!)).toHaveLength(1);
  });

  it("offers the page link with its token only when the page asks for the passphrase, and never on the URL channel", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const guard = await guardWith();
    const [terminalId, urlId] = seeded("planned");
    const onTerminal = await guard.authorize(await requestOf(terminalId!), sessionOf());
    const base = await guard.approvalPage.baseUrl();
    expect(onTerminal.kind).toBe("pending");
    const url = onTerminal.kind === "pending" ? onTerminal.pending.approval_url : null;
    expect(url).toMatch(new RegExp(`^${base.replace(/[.?]/g, "\\$&")}/approvals/${approvalsOf(terminalId!)[0]!.id}\\?token=[A-Za-z0-9_-]{20,}$`));
    expect(onTerminal.kind === "pending" && onTerminal.pending.instructions).toContain(`open ${url}`);

    const session = sessionOf({ url: () => ({ action: "accept" }), signal: endedSignal() });
    const onPage = await guard.authorize(await requestOf(urlId!), session);
    expect(onPage).toMatchObject({ kind: "pending", pending: { approval_url: null } });
    // The client was handed the link itself, with the same token scheme.
    expect(session.urls).toHaveLength(1);
    expect(session.urls[0]!.url).toMatch(new RegExp(`/approvals/${approvalsOf(urlId!)[0]!.id}\\?token=`));
    expect(session.urls[0]!.elicitationId).toBe(approvalsOf(urlId!)[0]!.id);
  });

  it("points a form-only client under a passphrase at the page and the exact terminal command, and a decline there refuses", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const guard = await guardWith();
    const [id] = seeded("planned");
    const session = sessionOf({ form: () => ({ action: "decline" }) });
    const error = await refusal(guard.authorize(await requestOf(id!), session));
    const [row] = approvalsOf(id!);
    expect(error.message).toBe(`The human declined (${id}). Nothing changed.`);
    const message = session.forms[0]!.message;
    expect(message).toContain(`A human must approve with the passphrase: open ${await guard.approvalPage.baseUrl()}/approvals/${row!.id}?token=`);
    expect(message).toMatch(new RegExp(`or run \`[^\`]* approvals approve ${row!.id} --db [^\`]+\` in a terminal\\. Accept once`));
    expect(row!.status).toBe("denied");
  });

  it("logs why a form could not be shown, and keeps the request open", async () => {
    await harness();
    const { logger, lines } = recordingLogger();
    const guard = await guardWith({ logger });
    const [id] = seeded("planned");
    const session = sessionOf({
      form: () => {
        throw new Error("client hung up");
      },
    });
    const decision = await guard.authorize(await requestOf(id!), session);
    const [row] = approvalsOf(id!);
    expect(decision).toMatchObject({ kind: "pending", pending: { approval_id: row!.id, approval_url: null } });
    expect(lines).toContainEqual(expect.objectContaining({ approvalId: row!.id, msg: "The form could not be shown (client hung up)." }));
  });

  it("says which earlier request for this very version expired, and asks anew", async () => {
    await harness();
    let clock = new Date("2026-12-01T10:00:00.000Z");
    const guard = await guardWith({ now: () => clock });
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    expect(first.kind === "pending" && first.pending.replaces).toBeUndefined();
    clock = new Date(clock.getTime() + h!.runtime.config.approval.ttlMs + 1000);
    const second = await guard.authorize(await requestOf(id!), sessionOf());
    const [old, fresh] = approvalsOf(id!);
    expect(old).toMatchObject({ status: "expired", outcome: "expired unanswered" });
    expect(fresh!.status).toBe("pending");
    expect(second).toMatchObject({ kind: "pending", pending: { approval_id: fresh!.id, replaces: { approval_id: old!.id, outcome: "expired unanswered" } } });
    expect(Date.parse(fresh!.expires_at)).toBe(clock.getTime() + h!.runtime.config.approval.ttlMs);
  });

  it("does not call a void request for the same version a lapse", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    const firstId = first.kind === "pending" ? first.pending.approval_id : "";
    await h!.runtime.store.approvals.close(firstId, "void", new Date(), "voided by hand", { tenant_id: "live", event: "approval_voided", actor: "test", intervention_id: id!, detail: {} });
    const second = await guard.authorize(await requestOf(id!), sessionOf());
    expect(second.kind).toBe("pending");
    expect(second.kind === "pending" && second.pending.approval_id).not.toBe(firstId);
    expect(second.kind === "pending" && second.pending.replaces).toBeUndefined();
  });

  it("voids an open request for an older version and asks about the current one", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    const before = await requestOf(id!);
    await guard.authorize(before, sessionOf());
    await h!.runtime.backend.flag(id!, "needs a second look");
    const after = await requestOf(id!);
    expect(after.intervention.version).not.toBe(before.intervention.version);
    await guard.authorize(after, sessionOf());
    const [old, fresh] = approvalsOf(id!);
    expect(old).toMatchObject({ status: "void", outcome: "the intervention changed since the request was made" });
    expect(fresh!.status).toBe("pending");
  });
});

describe("what a human's answer means for the calling agent", () => {
  it("refuses a version a human denied, quoting their note, and audits the refusal with the agent's client", async () => {
    await harness();
    const guard = await guardWith();
    const [withNote, without] = seeded("planned");
    for (const [id, note] of [
      [withNote!, "the discount ended\nyesterday"],
      [without!, null],
    ] as const) {
      const first = await guard.authorize(await requestOf(id), sessionOf({ clientName: "x".repeat(250) }));
      const approvalId = first.kind === "pending" ? first.pending.approval_id : "";
      expect((await denyInTerminal(approvalId, note)).ok).toBe(true);
      const error = await refusal(guard.authorize(await requestOf(id), sessionOf({ clientName: "x".repeat(250) })));
      const quoted = note ? ` Their note: "the discount ended ⏎ yesterday".` : "";
      expect(error.message).toBe(`A human denied this approve of ${id} (request ${approvalId}, human:cli).${quoted} Nothing changed; it stays denied unless the intervention changes.`);
      expect(error.hint).toBe("Do not retry on your own: ask the human whether they still want this.");
      const [audited] = refusedRows(id);
      expect(audited).toMatchObject({ actor: `agent:${"x".repeat(100)}`, intervention_id: id });
      expect(audited!.detail).toMatchObject({ approval_id: approvalId, reason: error.message, action: "approve", client: `${"x".repeat(250)} 2.1`.slice(0, 200) });
      expect(String(audited!.detail.client)).toHaveLength(200);
      // Still one request: a denial is final for this version, nothing new is asked.
      expect(approvalsOf(id)).toHaveLength(1);
    }
  });

  it("executes a request the human approved since the last call, and reports who released it", async () => {
    await harness();
    const sink = recordingSink();
    const guard = await guardWith({ noticeSinks: [sink] });
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    const approvalId = first.kind === "pending" ? first.pending.approval_id : "";
    expect(await guard.releasedBy("approve", id!)).toBeUndefined();
    expect((await approveInTerminal(approvalId, "fine")).ok).toBe(true);
    const decision = await guard.authorize(await requestOf(id!), sessionOf());
    expect(decision).toEqual({ kind: "executed", approvalId, status: "approved", decidedBy: "human:cli" });
    expect((await h!.runtime.backend.get(id!)).status).toBe("approved");
    const row = (await h!.runtime.store.approvals.get(approvalId))!;
    expect(await guard.releasedBy("approve", id!)).toEqual({ approvalId, decidedBy: "human:cli", executedAt: row.executed_at });
    expect(row.executed_at).toBeTruthy();
    expect(sink.sent.map((notice) => [notice.kind, notice.request.status])).toEqual([
      ["requested", "pending"],
      ["outcome", "executed"],
    ]);
    // Without a passphrase the link itself approves, so the team's notices never carry it.
    expect(sink.sent.every((notice) => notice.pageUrl === undefined)).toBe(true);
  });

  it("executes at once what the form approves, with the form's client as the decider", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    const decision = await guard.authorize(await requestOf(id!), sessionOf({ form: () => ({ action: "accept", content: { confirm: true } }) }));
    const [row] = approvalsOf(id!);
    expect(decision).toEqual({ kind: "executed", approvalId: row!.id, status: "approved", decidedBy: "form:triage-agent" });
  });

  it("refuses with the form's own reason when the human declines it, and records the refusal on the request", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    const error = await refusal(guard.authorize(await requestOf(id!), sessionOf({ form: () => ({ action: "decline" }) })));
    const [row] = approvalsOf(id!);
    expect(error.message).toBe(`The human declined to send this message (${id}). Nothing changed.`);
    const [audited] = refusedRows(id!);
    expect(audited!.detail).toMatchObject({ approval_id: row!.id, reason: error.message, channel: "form" });
  });

  it("reports a rollback approved in the terminal as rolled back once run", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("sent");
    const first = await guard.authorize(await requestOf(id!, "rollback", "sent to the wrong segment"), sessionOf());
    const approvalId = first.kind === "pending" ? first.pending.approval_id : "";
    expect(first.kind === "pending" && first.pending.instructions).toContain(`To roll back ${id}`);
    await approveInTerminal(approvalId);
    expect(await guard.authorize(await requestOf(id!, "rollback", "sent to the wrong segment"), sessionOf())).toEqual({ kind: "executed", approvalId, status: "rolled_back", decidedBy: "human:cli" });
    expect(await guard.releasedBy("rollback", id!)).toMatchObject({ approvalId });
    expect(await guard.releasedBy("approve", id!)).toBeUndefined();
  });

  for (const [action, status] of [
    ["approve", "approved"],
    ["rollback", "rolled_back"],
  ] as const) {
    it(`reports a ${action} the page approved and another process ran meanwhile as executed, at ${status}`, async () => {
      await harness();
      const guard = await guardWith();
      const elsewhere = await guardWith();
      const [id] = seeded(action === "approve" ? "planned" : "sent");
      const reason = action === "rollback" ? "wrong segment" : undefined;
      // The human approves on the page while the client has it open; another server releases it at once.
      let releasedElsewhere: unknown;
      const session = sessionOf({
        url: async () => {
          const [row] = approvalsOf(id!);
          await approveInTerminal(row!.id);
          releasedElsewhere = await elsewhere.authorize(await requestOf(id!, action, reason), sessionOf());
          return { action: "accept" };
        },
        signal: endedSignal(),
      });
      const decision = await guard.authorize(await requestOf(id!, action, reason), session);
      const [row] = approvalsOf(id!);
      expect(releasedElsewhere).toEqual({ kind: "executed", approvalId: row!.id, status, decidedBy: "human:cli" });
      expect(decision).toEqual({ kind: "executed", approvalId: row!.id, status, decidedBy: "human:cli" });
    });
  }

  it("says so, and refuses, when the approved action fails upstream", async () => {
    await harness();
    const backend = h!.runtime.backend;
    const failing: GuardedExecutor = {
      spendsApprovals: false,
      get: (id) => backend.get(id),
      approve: async () => {
        throw new Error("upstream said 503\nretry later");
      },
      rollback: (...args) => backend.rollback(...args),
    };
    const sink = recordingSink();
    const guard = await guardWith({ executor: failing, noticeSinks: [sink] });
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    const approvalId = first.kind === "pending" ? first.pending.approval_id : "";
    await approveInTerminal(approvalId);
    const error = await refusal(guard.authorize(await requestOf(id!), sessionOf()));
    expect(error.message).toBe("A human approved this, but executing it failed: upstream said 503 ⏎ retry later. Nothing changed.");
    expect(error.hint).toBe("Do not retry on your own: ask the human whether they still want this.");
    expect(refusedRows(id!).map((row) => row.detail.approval_id)).toEqual([approvalId]);
    expect(sink.sent.at(-1)).toMatchObject({ kind: "outcome", request: { approval_id: approvalId, outcome: "upstream said 503 ⏎ retry later" } });
  });

  it("answers 'already' when the intervention reached the target another way after the human approved", async () => {
    await harness();
    const backend = h!.runtime.backend;
    // Another path approves it right before this release runs the approval.
    const racing: GuardedExecutor = {
      spendsApprovals: backend.spendsApprovals,
      get: (id) => backend.get(id),
      approve: async (id, options) => {
        await backend.approve(id);
        return backend.approve(id, options);
      },
      rollback: (...args) => backend.rollback(...args),
    };
    const guard = await guardWith({ executor: racing });
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    const approvalId = first.kind === "pending" ? first.pending.approval_id : "";
    await approveInTerminal(approvalId);
    expect(await guard.authorize(await requestOf(id!), sessionOf())).toEqual({ kind: "already", status: "approved" });
    expect((await h!.runtime.store.approvals.get(approvalId))!.status).toBe("void");
  });

  it("refuses a void approval with why, and tells the agent to call again for the current version", async () => {
    await harness();
    const backend = h!.runtime.backend;
    // The intervention changes between the guard's read and the release's.
    const changing: GuardedExecutor = {
      spendsApprovals: backend.spendsApprovals,
      get: async (id) => {
        const current = await backend.get(id);
        return { ...current, message_body: `${current.message_body} (edited)`, version: (current.version ?? 0) + 7 };
      },
      approve: (...args) => backend.approve(...args),
      rollback: (...args) => backend.rollback(...args),
    };
    const guard = await guardWith({ executor: changing });
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    const approvalId = first.kind === "pending" ? first.pending.approval_id : "";
    await approveInTerminal(approvalId);
    const current = await backend.get(id!);
    const error = await refusal(guard.authorize(await requestOf(id!), sessionOf()));
    expect(error.message).toBe(`The approval request ${approvalId} is void: ${id} changed since the human approved it (now status planned, version ${(current.version ?? 0) + 7}). Nothing changed.`);
    expect(error.hint).toBe("If it is still wanted, call again: the human will be asked about the current version.");
    expect((await backend.get(id!)).status).toBe("planned");
  });

  it("refuses, naming the request's status, when the request was voided while the form was failing", async () => {
    await harness();
    const sink = recordingSink();
    const guard = await guardWith({ noticeSinks: [sink] });
    const [id] = seeded("planned");
    const session = sessionOf({
      form: async () => {
        const [row] = approvalsOf(id!);
        await h!.runtime.store.approvals.close(row!.id, "void", new Date(), "voided elsewhere", { tenant_id: "live", event: "approval_voided", actor: "system:test", intervention_id: id!, detail: {} });
        throw new Error("the form went away");
      },
    });
    const error = await refusal(guard.authorize(await requestOf(id!), session));
    const [row] = approvalsOf(id!);
    expect(error.message).toBe(`Approval request ${row!.id} is void. Nothing changed.`);
    expect(refusedRows(id!)[0]!.detail).toMatchObject({ approval_id: row!.id });
    // The release found nothing to run, so it tells the team nothing more.
    expect(sink.sent.map((notice) => notice.kind)).toEqual(["requested"]);
  });

  it("reports a human's denial made in the terminal while the form was failing as their denial, with their note", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    const session = sessionOf({
      form: async () => {
        await denyInTerminal(approvalsOf(id!)[0]!.id, "not this week");
        throw new Error("the form went away");
      },
    });
    const error = await refusal(guard.authorize(await requestOf(id!), session));
    const [row] = approvalsOf(id!);
    expect(error.message).toBe(`A human denied this approve of ${id} (request ${row!.id}, human:cli). Their note: "not this week". Nothing changed; it stays denied unless the intervention changes.`);
  });
});

const policyOf = (policy: unknown) => parsePolicy(JSON.stringify(policy), "policy.json");
const denyWhen = (match: Record<string, unknown>) => policyOf({ rules: [{ name: "not from agents", match, deny: true, deny_reason: "ask the campaign owner" }] });

/** Whether the guard, with `deps`, refuses `request` under the policy's deny rule (and then opens nothing). */
async function refusedByPolicy(deps: Partial<GuardDeps>, request: GuardRequest, session = sessionOf()): Promise<boolean> {
  const guard = await guardWith(deps);
  try {
    await guard.authorize(request, session);
    return false;
  } catch (error) {
    expect(error).toBeInstanceOf(ApprovalRefusedError);
    expect(approvalsOf(request.intervention.id).filter((row) => row.status === "pending")).toHaveLength(0);
    return true;
  }
}

describe("what the policy decides on", () => {
  it("refuses by a deny rule with its name and reason, opens no request, and audits the refusal", async () => {
    await harness();
    const [id] = seeded("planned");
    const guard = await guardWith({ policy: denyWhen({ action: "approve" }) });
    const error = await refusal(guard.authorize(await requestOf(id!), sessionOf()));
    expect(error.message).toBe(`The approval policy refuses this approve of ${id} (rule "not from agents": ask the campaign owner). No approval request was created; nothing changed.`);
    expect(error.hint).toBe("Do not retry: a human must do it themselves, outside the agent, if it is wanted.");
    expect(approvalsOf(id!)).toEqual([]);
    const [audited] = refusedRows(id!);
    expect(audited).toMatchObject({ actor: "agent:triage-agent", intervention_id: id });
    expect(audited!.detail).toEqual({ reason: error.message, action: "approve", client: "triage-agent 2.1" });
  });

  it("gives it the data set (live unless the backend says test)", async () => {
    await harness();
    const [a, b, c] = seeded("planned");
    expect(await refusedByPolicy({ policy: denyWhen({ data_set: "live" }) }, await requestOf(a!))).toBe(true);
    expect(await refusedByPolicy({ policy: denyWhen({ data_set: "live" }), dataSet: "test" }, await requestOf(b!))).toBe(false);
    expect(await refusedByPolicy({ policy: denyWhen({ data_set: "test" }), dataSet: "test" }, await requestOf(c!))).toBe(true);
  });

  it("gives it the channel, the flag, the playbook and the principal", async () => {
    await harness();
    const ids = seeded("planned");
    const [flaggedId] = seeded("planned", true);
    const plain = await requestOf(ids[0]!);
    const channel = plain.intervention.channel;
    expect(await refusedByPolicy({ policy: denyWhen({ channel }) }, plain)).toBe(true);
    expect(await refusedByPolicy({ policy: denyWhen({ channel: channel === "email" ? "webhook" : "email" }) }, await requestOf(ids[1]!))).toBe(false);
    expect(await refusedByPolicy({ policy: denyWhen({ flagged: true }) }, await requestOf(flaggedId!))).toBe(true);
    expect(await refusedByPolicy({ policy: denyWhen({ flagged: true }) }, await requestOf(ids[2]!))).toBe(false);
    const other = await requestOf(ids[3]!);
    expect(await refusedByPolicy({ policy: denyWhen({ playbook: other.intervention.playbook_id }) }, other)).toBe(true);
    expect(await refusedByPolicy({ policy: denyWhen({ playbook: "pb_not_this_one" }) }, await requestOf(ids[4]!))).toBe(false);
    expect(await refusedByPolicy({ policy: denyWhen({ principal: "token:ci" }) }, await requestOf(ids[5]!), sessionOf({ principal: "token:ci" }))).toBe(true);
    expect(await refusedByPolicy({ policy: denyWhen({ principal: "token:ci" }) }, await requestOf(ids[6]!))).toBe(false);
  });

  it("gives it whether the message offers something: the catalog's answer where there is one, else the subject and body", async () => {
    await harness();
    const ids = seeded("planned");
    const offers = denyWhen({ offers: true });
    const request = async (id: string, text: { subject?: string | null; message_body?: string }) => {
      const base = await requestOf(id);
      return { ...base, intervention: { ...base.intervention, ...text } };
    };
    expect(await refusedByPolicy({ policy: offers }, await request(ids[0]!, { subject: "Hello", message_body: "Take 20% off your next month." }))).toBe(true);
    expect(await refusedByPolicy({ policy: offers }, await request(ids[1]!, { subject: "20% off today", message_body: "A note from us." }))).toBe(true);
    expect(await refusedByPolicy({ policy: offers }, await request(ids[2]!, { subject: null, message_body: "A note from us." }))).toBe(false);
    expect(await refusedByPolicy({ policy: offers, offersIn: async () => true }, await request(ids[3]!, { subject: null, message_body: "A note from us." }))).toBe(true);
    expect(await refusedByPolicy({ policy: offers, offersIn: async () => false }, await request(ids[4]!, { message_body: "Take 20% off your next month." }))).toBe(false);
  });

  it("stores a team tier with the requester's operator excluded, its own expiry, and audits the rule", async () => {
    await harness();
    for (const name of ["alice", "bob", "carol"]) await addOperator(name);
    const clock = new Date("2026-12-01T09:00:00.000Z");
    const policy = policyOf({ principals: { local: "carol" }, rules: [{ name: "two of three", match: {}, require: 2, requester_may_approve: false, expires_after: "2h" }] });
    const sink = recordingSink();
    const guard = await guardWith({ policy, now: () => clock, noticeSinks: [sink] });
    const [id] = seeded("planned");
    const decision = await guard.authorize(await requestOf(id!), sessionOf());
    const [row] = approvalsOf(id!);
    expect(row).toMatchObject({ required_approvals: 2, excluded_operator: "carol", expires_at: "2026-12-01T11:00:00.000Z" });
    expect(decision.kind === "pending" && decision.pending.instructions).toContain(`approve ${row!.id} --as NAME`);
    expect(decision.kind === "pending" && decision.pending.instructions).toContain("It takes effect when the last approval needed is in.");
    const requested = auditOf(h!.runtime, id!).find((entry) => entry.event === "approval_requested")!;
    expect(requested.actor).toBe("agent:triage-agent");
    expect(requested.detail).toMatchObject({ approval_id: row!.id, backend: "local", principal: "local", rule: "two of three", required_approvals: 2, excluded_operator: "carol" });
    expect(sink.sent).toEqual([expect.objectContaining({ kind: "requested", request: expect.objectContaining({ approval_id: row!.id, required: 2, rule: "two of three" }) })]);
  });

  it("finds the requester's operator by the principal the operator is bound to when the policy names none", async () => {
    await harness();
    await addOperator("alice");
    await addOperator("bob", "token:ci");
    await addOperator("carol");
    const policy = policyOf({ rules: [{ name: "two", match: {}, require: 2, requester_may_approve: false }] });
    const guard = await guardWith({ policy });
    const [mine, theirs] = seeded("planned");
    await guard.authorize(await requestOf(mine!), sessionOf({ principal: "token:ci" }));
    await guard.authorize(await requestOf(theirs!), sessionOf());
    expect(approvalsOf(mine!)[0]).toMatchObject({ excluded_operator: "bob", required_approvals: 2, principal: "token:ci" });
    expect(approvalsOf(theirs!)[0]).toMatchObject({ excluded_operator: null });
  });

  it("audits a request without a rule with neither rule nor count, and keeps the server's own expiry", async () => {
    await harness();
    const clock = new Date("2026-12-01T09:00:00.000Z");
    const guard = await guardWith({ now: () => clock, backendMode: "api-live" });
    const [id] = seeded("planned");
    await guard.authorize(await requestOf(id!), sessionOf({ principal: "token:ci" }));
    const requested = auditOf(h!.runtime, id!).find((entry) => entry.event === "approval_requested")!;
    const { approval_id: _id, action_hash: _hash, ...rest } = requested.detail;
    expect(rest).toEqual({ action: "approve", channel: "terminal", client: "triage-agent 2.1", backend: "api-live", principal: "token:ci" });
    expect(approvalsOf(id!)[0]!.expires_at).toBe(new Date(clock.getTime() + h!.runtime.config.approval.ttlMs).toISOString());
  });

  it("hands the team the page link in notices only when the page asks for the passphrase", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const sink = recordingSink();
    const guard = await guardWith({ noticeSinks: [sink] });
    const [id] = seeded("planned");
    await guard.authorize(await requestOf(id!), sessionOf());
    const [row] = approvalsOf(id!);
    expect(sink.sent).toHaveLength(1);
    expect(sink.sent[0]!.pageUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/approvals/${row!.id}\\?token=[A-Za-z0-9_-]{20,}$`));
  });

  it("shows the recipient the store knows on the request", async () => {
    await harness();
    const guard = await guardWith({ recipientOf: async () => ({ name: "Maya Lin", address: "maya@example.com" }) as never });
    const [id] = seeded("planned");
    await guard.authorize(await requestOf(id!), sessionOf());
    const display = JSON.parse((dbOf(h!.runtime).prepare("SELECT display FROM approvals WHERE intervention_id = ?").get(id) as { display: string }).display) as Record<string, unknown>;
    expect(JSON.stringify(display)).toContain("maya@example.com");
  });
});

describe("with agents' guarded calls disabled (RETIVO_APPROVAL=deny)", () => {
  it("refuses without opening a request, and says how a human can do it instead", async () => {
    await harness();
    const config = { ...h!.runtime.config, approval: { ...h!.runtime.config.approval, policy: "deny" as const } };
    const guard = await guardWith({ config });
    const [id] = seeded("planned");
    const error = await refusal(guard.authorize(await requestOf(id!), sessionOf()));
    expect(error.message).toBe(
      `Guarded actions are disabled for agents on this server (RETIVO_APPROVAL=deny): approve of ${id} was refused, ` +
        "and no approval request was created, so there is nothing to approve with `retivo-mcp approvals`. " +
        "A human must do it themselves, outside the agent: through the local REST server (`retivo-mcp api`) or the Retivo dashboard. " +
        "(Only if the operator restarts this server with RETIVO_APPROVAL=elicit do calls open approval requests again.)",
    );
    expect(approvalsOf(id!)).toEqual([]);
    expect(refusedRows(id!)).toHaveLength(1);
  });
});

describe("arguments refused before the guard", () => {
  it("audits the tool, the names of the extra arguments (ten at most, each cut short) and their count, never their values", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    const keys = Array.from({ length: 12 }, (_, i) => `${"k".repeat(70)}${i}`);
    await guard.recordRefusedArguments("approve_intervention", { intervention_id: id, approved_by_human: "yes, secret-value" }, keys, sessionOf());
    const [audited] = refusedRows(id!);
    expect(audited).toMatchObject({ actor: "agent:triage-agent", intervention_id: id });
    expect(audited!.detail).toEqual({
      tool: "approve_intervention",
      reason: "invalid arguments",
      unknown_arguments: keys.slice(0, 10).map((key) => key.slice(0, 64)),
      unknown_argument_count: 12,
    });
    expect(JSON.stringify(audited)).not.toContain("secret-value");
  });

  it("names no intervention when the id is malformed or the arguments are not an object", async () => {
    await harness();
    const guard = await guardWith();
    await guard.recordRefusedArguments("approve_intervention", { intervention_id: "not an id" }, ["x"], sessionOf());
    await guard.recordRefusedArguments("approve_intervention", ["int_r7m20jbsn2vs9y5iftwv"], ["y"], sessionOf());
    await guard.recordRefusedArguments("approve_intervention", null, ["z"], sessionOf());
    const rows = dbOf(h!.runtime).prepare("SELECT intervention_id, detail FROM audit_log WHERE event = 'approval_refused' ORDER BY seq").all() as Array<{ intervention_id: string | null; detail: string }>;
    expect(rows.map((row) => [row.intervention_id, (JSON.parse(row.detail) as { unknown_arguments: string[] }).unknown_arguments])).toEqual([
      [null, ["x"]],
      [null, ["y"]],
      [null, ["z"]],
    ]);
  });
});

describe("the release loop and closing", () => {
  // The loop's interval is faked, so each tick happens when the test says; the store's I/O stays real.
  beforeEach(() => void vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] }));
  afterEach(() => void vi.useRealTimers());
  const EVERY_MS = 20;

  /** Runs the loop one interval at a time until `check` holds; fails naming `what` after ten seconds of real time. */
  const tickUntil = async (what: string, check: () => Promise<boolean> | boolean) => {
    const end = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`the release loop never got there: ${what}`);
      vi.advanceTimersByTime(EVERY_MS);
      await sleep(10);
    }
  };

  it("releases what a human approved elsewhere and tells the team, without any agent call, tick after tick", async () => {
    await harness();
    const sink = recordingSink();
    const guard = await guardWith({ releaseEveryMs: EVERY_MS, noticeSinks: [sink] });
    const [id, next] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    guard.start!();
    await approveInTerminal(first.kind === "pending" ? first.pending.approval_id : "");
    await tickUntil("the first release", async () => (await h!.runtime.backend.get(id!)).status === "approved");
    await tickUntil("its notice", () => sink.sent.some((notice) => notice.kind === "outcome"));
    expect(sink.sent.map((notice) => [notice.kind, notice.request.status])).toEqual([
      ["requested", "pending"],
      ["outcome", "executed"],
    ]);
    const second = await guard.authorize(await requestOf(next!), sessionOf());
    await approveInTerminal(second.kind === "pending" ? second.pending.approval_id : "");
    await tickUntil("a later release", async () => (await h!.runtime.backend.get(next!)).status === "approved");
  });

  it("ticks at the interval it is given", async () => {
    await harness();
    const guard = await guardWith({ releaseEveryMs: 5_000 });
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    await approveInTerminal(first.kind === "pending" ? first.pending.approval_id : "");
    guard.start!();
    vi.advanceTimersByTime(4_999);
    await sleep(200);
    expect((await h!.runtime.backend.get(id!)).status).toBe("planned");
    vi.advanceTimersByTime(1);
    const end = Date.now() + 10_000;
    while ((await h!.runtime.backend.get(id!)).status !== "approved" && Date.now() < end) await sleep(20);
    expect((await h!.runtime.backend.get(id!)).status).toBe("approved");
  });

  it("logs a tick that failed and carries on", async () => {
    await harness();
    const { logger, lines } = recordingLogger();
    const real = h!.runtime.store;
    let failures = 1;
    const flaky = {
      ...real,
      approvals: {
        ...real.approvals,
        listApprovedUnexecuted: async (...args: Parameters<typeof real.approvals.listApprovedUnexecuted>) => {
          if (failures-- > 0) throw new Error("database is busy");
          return real.approvals.listApprovedUnexecuted(...args);
        },
      },
    };
    const guard = await guardWith({ store: flaky, logger, releaseEveryMs: EVERY_MS });
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    await approveInTerminal(first.kind === "pending" ? first.pending.approval_id : "");
    guard.start!();
    await tickUntil("the release after the failed tick", async () => (await h!.runtime.backend.get(id!)).status === "approved");
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: "approval release loop failed; retrying", err: expect.objectContaining({ message: "database is busy" }) }));
  });

  it("expires stale requests and sums up a suppressed flood of refusals once its window ends", async () => {
    await harness();
    let clock = new Date();
    const sink = recordingSink();
    const guard = await guardWith({ releaseEveryMs: EVERY_MS, now: () => clock, noticeSinks: [sink] });
    const [id] = seeded("planned");
    await guard.authorize(await requestOf(id!), sessionOf());
    for (let i = 0; i < 35; i++) await guard.recordRefusedArguments("approve_intervention", { intervention_id: id }, ["approved"], sessionOf({ principal: "token:flood" }));
    expect(refusedRows(id!)).toHaveLength(30);
    clock = new Date(clock.getTime() + h!.runtime.config.approval.ttlMs + 120_000);
    guard.start!();
    await tickUntil("the expiry", () => approvalsOf(id!)[0]!.status === "expired");
    const summary = () => dbOf(h!.runtime).prepare("SELECT detail FROM audit_log WHERE event = 'approval_refusals_suppressed'").get() as { detail: string } | undefined;
    await tickUntil("the refusals' summary", () => summary() !== undefined);
    expect(JSON.parse(summary()!.detail)).toMatchObject({ count: 5, source: "token:flood" });
    await tickUntil("the expiry's notice", () => sink.sent.some((notice) => notice.kind === "outcome"));
    expect(sink.sent.at(-1)).toMatchObject({ kind: "outcome", request: { status: "expired" } });
  });

  it("leaves no loop behind once closed, even when started twice", async () => {
    await harness();
    const guard = await guardWith({ releaseEveryMs: EVERY_MS });
    guard.start!();
    guard.start!();
    expect(vi.getTimerCount()).toBe(1);
    await guard.close!();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("writes the summary of refusals it held back when it closes", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    for (let i = 0; i < 33; i++) await guard.recordRefusedArguments("approve_intervention", { intervention_id: id }, ["approved"], sessionOf({ principal: "token:flood" }));
    const suppressed = () => dbOf(h!.runtime).prepare("SELECT detail FROM audit_log WHERE event = 'approval_refusals_suppressed'").all() as Array<{ detail: string }>;
    expect(suppressed()).toHaveLength(0);
    await guard.close!();
    expect(suppressed()).toHaveLength(1);
    expect(JSON.parse(suppressed()[0]!.detail)).toMatchObject({ count: 3, source: "token:flood" });
  });
});

describe("asking in the client's form", () => {
  it("asks with exactly these fields: confirm unticked, the flag to acknowledge when flagged, an optional note", async () => {
    await harness();
    const guard = await guardWith();
    const [plain] = seeded("planned");
    const [flagged] = seeded("planned", true);
    const session = sessionOf({ form: () => ({ action: "decline" }) });
    await refusal(guard.authorize(await requestOf(plain!), session));
    await refusal(guard.authorize(await requestOf(flagged!), session));
    const note = { type: "string", title: "Note for the audit log (optional)", maxLength: 500 };
    expect(session.forms[0]!.requestedSchema).toEqual({
      type: "object",
      properties: { confirm: { type: "boolean", title: "I approve: send this message", description: "Leave unticked to refuse.", default: false }, note },
      required: ["confirm"],
    });
    expect(session.forms[0]!.message).toMatch(/\n\nTick the confirm box and accept to approve\. Decline to refuse\.$/);
    const reason = (await h!.runtime.backend.get(flagged!)).flag_reason;
    expect(session.forms[1]!.requestedSchema.properties).toEqual({
      confirm: { type: "boolean", title: "I approve: send this message", description: "Leave unticked to refuse.", default: false },
      acknowledge_flag: { type: "boolean", title: `I have read why it is flagged: ${oneLine(reason ?? "flagged")}`, default: false },
      note,
    });
  });

  it("names a rollback as one, and records an accepted form whose box was not ticked as refused, with its note", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("sent");
    const session = sessionOf({ form: () => ({ action: "accept", content: { confirm: false, note: "  not sure  " } }) });
    const error = await refusal(guard.authorize(await requestOf(id!, "rollback", "wrong segment"), session));
    expect(error.message).toBe("The form was submitted but the confirm box was not ticked, so nothing was approved and nothing changed.");
    expect((session.forms[0]!.requestedSchema.properties.confirm as { title: string }).title).toBe("I approve: roll back (retract) this message");
    const answered = auditOf(h!.runtime, id!).find((entry) => entry.event === "approval_answered")!;
    expect(answered).toMatchObject({ actor: "form:triage-agent", detail: expect.objectContaining({ via: "form", answer: "accept_unconfirmed", approved: false, note: "not sure" }) });
    // A refusal of the client's own form is not a human's denial: the next call asks again.
    expect(await guard.authorize(await requestOf(id!, "rollback", "wrong segment"), sessionOf())).toMatchObject({ kind: "pending" });
  });

  it("reports what another answer given while the form was open decided: an approval runs, a denial refuses", async () => {
    await harness();
    const guard = await guardWith();
    const [approved, denied] = seeded("planned");
    const confirmAfter = (answer: (approvalId: string) => Promise<unknown>, id: string) =>
      sessionOf({
        form: async () => {
          await answer(approvalsOf(id)[0]!.id);
          return { action: "accept", content: { confirm: true } };
        },
      });
    const ran = await guard.authorize(await requestOf(approved!), confirmAfter((approvalId) => approveInTerminal(approvalId), approved!));
    expect(ran).toEqual({ kind: "executed", approvalId: approvalsOf(approved!)[0]!.id, status: "approved", decidedBy: "human:cli" });
    const error = await refusal(guard.authorize(await requestOf(denied!), confirmAfter((approvalId) => denyInTerminal(approvalId, null), denied!)));
    expect(error.message).toBe(`Approval request ${approvalsOf(denied!)[0]!.id} is already denied; nothing changed.`);
    expect((await h!.runtime.backend.get(denied!)).status).toBe("planned");
  });

  it("records a decline of the passphrase pointer as unverified (no passphrase was given), and keeps an accepted one open", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const guard = await guardWith();
    const [declined, accepted] = seeded("planned");
    await refusal(guard.authorize(await requestOf(declined!), sessionOf({ form: () => ({ action: "decline" }) })));
    const answered = auditOf(h!.runtime, declined!).find((entry) => entry.event === "approval_answered")!;
    expect(answered).toMatchObject({ actor: "unverified:form", detail: expect.objectContaining({ via: "form", answer: "decline_unverified", approved: false }) });
    const session = sessionOf({ form: () => ({ action: "accept", content: {} }) });
    expect(await guard.authorize(await requestOf(accepted!), session)).toMatchObject({ kind: "pending" });
    expect(session.forms[0]!.requestedSchema).toEqual({ type: "object", properties: {} });
    expect(session.forms[0]!.message).toContain("An operator passphrase protects approvals on this server, so this form cannot approve.");
  });
});

describe("asking on the approval page (URL elicitation)", () => {
  it("records a client's decline or dismissal of the page as the client's, and refuses", async () => {
    await harness();
    const guard = await guardWith();
    const [declined, dismissed] = seeded("planned");
    const first = sessionOf({ url: () => ({ action: "decline" }) });
    expect((await refusal(guard.authorize(await requestOf(declined!), first))).message).toBe(`The human declined to open the approval page (${declined}). Nothing changed.`);
    expect((await refusal(guard.authorize(await requestOf(dismissed!), sessionOf({ url: () => ({ action: "cancel" }) })))).message).toBe(`The human dismissed the approval page (${dismissed}). Nothing changed.`);
    const [row] = approvalsOf(declined!);
    expect(first.urls[0]).toMatchObject({ mode: "url", elicitationId: row!.id, message: expect.stringMatching(new RegExp(`^APPROVE intervention ${declined}: .+\\. Open the local approval page to review the exact message and approve or deny it\\.$`)) });
    expect(first.completed).toEqual([row!.id]);
    const answeredRow = auditOf(h!.runtime, declined!).find((entry) => entry.event === "approval_answered")!;
    expect(answeredRow).toMatchObject({ actor: "client:triage-agent", detail: expect.objectContaining({ via: "client", answer: "url_decline", approved: false }) });
    // A client's report is no human's denial: the next call asks again.
    expect(await guard.authorize(await requestOf(declined!), sessionOf())).toMatchObject({ kind: "pending" });
  });

  it("keeps the request open, and logs why, when the page cannot be offered", async () => {
    await harness();
    const { logger, lines } = recordingLogger();
    const guard = await guardWith({ logger });
    const [id] = seeded("planned");
    const session = sessionOf({
      url: () => {
        throw new Error("no browser");
      },
    });
    expect(await guard.authorize(await requestOf(id!), session)).toMatchObject({ kind: "pending" });
    expect(lines).toContainEqual(expect.objectContaining({ msg: "The approval page could not be offered (no browser)." }));
    expect(session.completed).toEqual([]);
  });

  it("waits for the human's answer on the page: a denial with its note refuses, and the client is told it is complete", async () => {
    await harness();
    const guard = await guardWith({ urlWaitMs: 10_000 });
    const [id] = seeded("planned");
    const session = sessionOf({
      url: () => {
        setTimeout(() => void denyInTerminal(approvalsOf(id!)[0]!.id, "not\nthis week"), 50);
        return { action: "accept" };
      },
    });
    const error = await refusal(guard.authorize(await requestOf(id!), session));
    expect(error.message).toBe(`A human denied the request on the approval page (${id}). Their note: "not ⏎ this week". Nothing changed.`);
    expect(session.completed).toEqual([approvalsOf(id!)[0]!.id]);
    const plain = seeded("planned")[1]!;
    const quiet = sessionOf({
      url: () => {
        setTimeout(() => void denyInTerminal(approvalsOf(plain)[0]!.id, null), 50);
        return { action: "accept" };
      },
    });
    expect((await refusal(guard.authorize(await requestOf(plain), quiet))).message).toBe(`A human denied the request on the approval page (${plain}). Nothing changed.`);
  });

  it("executes what the human approves during the wait", async () => {
    await harness();
    const guard = await guardWith({ urlWaitMs: 10_000 });
    const [id] = seeded("planned");
    const session = sessionOf({
      url: () => {
        setTimeout(() => void approveInTerminal(approvalsOf(id!)[0]!.id), 50);
        return { action: "accept" };
      },
    });
    expect(await guard.authorize(await requestOf(id!), session)).toMatchObject({ kind: "executed", status: "approved" });
    expect(session.completed).toEqual([approvalsOf(id!)[0]!.id]);
  });

  it("returns pending once its wait is over with no answer", async () => {
    await harness();
    const guard = await guardWith({ urlWaitMs: 200 });
    const [id] = seeded("planned");
    const started = Date.now();
    const session = sessionOf({ url: () => ({ action: "accept" }) });
    expect(await guard.authorize(await requestOf(id!), session)).toMatchObject({ kind: "pending", pending: { approval_url: null } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(session.completed).toEqual([]);
  });

  it("says the request expired when it runs out during the wait", async () => {
    await harness();
    const ttlMs = h!.runtime.config.approval.ttlMs;
    // Made so that it expires 300 ms from now, while the call still waits.
    const guard = await guardWith({ urlWaitMs: 10_000, now: () => new Date(Date.now() - ttlMs + 300) });
    const [id] = seeded("planned");
    const error = await refusal(guard.authorize(await requestOf(id!), sessionOf({ url: () => ({ action: "accept" }) })));
    expect(error.message).toBe("The approval request expired unanswered. Nothing changed.");
  });
});

describe("the guard's own edges", () => {
  it("takes a form's decline as final for this version, naming the client that relayed it", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    await refusal(guard.authorize(await requestOf(id!), sessionOf({ form: () => ({ action: "decline" }) })));
    const [row] = approvalsOf(id!);
    const error = await refusal(guard.authorize(await requestOf(id!), sessionOf()));
    expect(error.message).toBe(`A human denied this approve of ${id} (request ${row!.id}, form:triage-agent). Nothing changed; it stays denied unless the intervention changes.`);
    expect(approvalsOf(id!)).toHaveLength(1);
  });

  it("refuses a version denied in the terminal without showing its form again", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    // Asked by a form the client could not show, then denied in the terminal.
    const unshown = sessionOf({
      form: () => {
        throw new Error("not now");
      },
    });
    const first = await guard.authorize(await requestOf(id!), unshown);
    await denyInTerminal(first.kind === "pending" ? first.pending.approval_id : "", null);
    const session = sessionOf({ form: () => ({ action: "accept", content: { confirm: true } }) });
    expect((await refusal(guard.authorize(await requestOf(id!), session))).message).toMatch(/^A human denied this approve of /);
    expect(session.forms).toEqual([]);
  });

  it("asks anew about a new version when an older one was denied", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    await denyInTerminal(first.kind === "pending" ? first.pending.approval_id : "", "not like this");
    await h!.runtime.backend.flag(id!, "reworded");
    const second = await guard.authorize(await requestOf(id!), sessionOf());
    expect(second.kind).toBe("pending");
    expect(approvalsOf(id!).map((row) => row.status)).toEqual(["denied", "pending"]);
  });

  it("elicits nothing from a client it asks in the terminal, whatever the client can show", async () => {
    await harness();
    const guard = await guardWith();
    const [id] = seeded("planned");
    const session = sessionOf({ principal: "token:ci", form: () => ({ action: "accept", content: { confirm: true } }), url: () => ({ action: "accept" }) });
    expect(await guard.authorize(await requestOf(id!), session)).toMatchObject({ kind: "pending" });
    expect(session.forms).toEqual([]);
    expect(session.urls).toEqual([]);
  });

  it("runs an approved request without showing the page again", async () => {
    await harness();
    const guard = await guardWith({ urlWaitMs: 50 });
    const [id] = seeded("planned");
    const first = sessionOf({ url: () => ({ action: "accept" }) });
    const asked = await guard.authorize(await requestOf(id!), first);
    await approveInTerminal(asked.kind === "pending" ? asked.pending.approval_id : "");
    const again = sessionOf({ url: () => ({ action: "accept" }) });
    expect(await guard.authorize(await requestOf(id!), again)).toMatchObject({ kind: "executed" });
    expect(again.urls).toEqual([]);
  });

  it("does not call an expired request for an older version a lapse of this one", async () => {
    await harness();
    let clock = new Date();
    const guard = await guardWith({ now: () => clock });
    const [id] = seeded("planned");
    await guard.authorize(await requestOf(id!), sessionOf());
    clock = new Date(clock.getTime() + h!.runtime.config.approval.ttlMs + 1000);
    await h!.runtime.backend.flag(id!, "reworded");
    const decision = await guard.authorize(await requestOf(id!), sessionOf());
    expect(approvalsOf(id!).map((row) => row.status)).toEqual(["expired", "pending"]);
    expect(decision.kind === "pending" && decision.pending.replaces).toBeUndefined();
  });

  it("logs nothing of its own for a request left pending without a note", async () => {
    await harness();
    const { logger, lines } = recordingLogger();
    const guard = await guardWith({ logger });
    const [id] = seeded("planned");
    await guard.authorize(await requestOf(id!), sessionOf());
    expect(lines).toEqual([]);
  });

  it("strips the trailing full stop of why a request is void before saying so", async () => {
    await harness();
    const backend = h!.runtime.backend;
    const { ConflictError } = await import("../../src/errors.js");
    const refusing: GuardedExecutor = {
      spendsApprovals: backend.spendsApprovals,
      get: (id) => backend.get(id),
      approve: async () => {
        throw new ConflictError("it moved meanwhile. ", "read it again");
      },
      rollback: (...args) => backend.rollback(...args),
    };
    const guard = await guardWith({ executor: refusing });
    const [id] = seeded("planned");
    const first = await guard.authorize(await requestOf(id!), sessionOf());
    const approvalId = first.kind === "pending" ? first.pending.approval_id : "";
    await approveInTerminal(approvalId);
    expect((await refusal(guard.authorize(await requestOf(id!), sessionOf()))).message).toBe(`The approval request ${approvalId} is void: it moved meanwhile. Nothing changed.`);
  });

  it("points a form-only client at the page alone when no terminal can see the store", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const guard = await guardWith({ config: { ...h!.runtime.config, dbPath: ":memory:" } });
    const [id] = seeded("planned");
    const session = sessionOf({ form: () => ({ action: "accept", content: {} }) });
    const decision = await guard.authorize(await requestOf(id!), session);
    expect(decision.kind).toBe("pending");
    expect(decision.kind === "pending" && decision.pending.instructions).not.toContain("approvals approve");
    expect(session.forms[0]!.message).toMatch(/A human must approve with the passphrase: open http:\/\/127\.0\.0\.1:\d+\/approvals\/apr_[\w-]+\?token=[\w-]+\. Accept once you have done so; decline to refuse\.$/);
  });

  it("tells the team by a log line when no other sink is configured", async () => {
    await harness();
    const { logger, lines } = recordingLogger();
    const guard = await createGuard({ store: h!.runtime.store, config: h!.runtime.config, logger, executor: h!.runtime.backend, backendMode: "local", backendId: "local" });
    guards.push(guard);
    const [id] = seeded("planned");
    await guard.authorize(await requestOf(id!), sessionOf());
    expect(lines).toEqual([expect.objectContaining({ notice: "requested", intervention: id, msg: `approval requested: approve of ${id} (needs 1 human; none given yet)` })]);
  });

  it("with the approval webhook configured, posts the team's notices there and serves signed decisions", async () => {
    await harness();
    const received: Array<{ headers: Record<string, unknown>; body: Record<string, unknown> }> = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        received.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const config = { ...h!.runtime.config, approvalWebhook: { url, secret: "a shared secret of the team" }, publicUrl: "https://mcp.example.com" };
      const guard = await createGuard({ store: h!.runtime.store, config, logger: silentLogger(), executor: h!.runtime.backend, backendMode: "local", backendId: "local" });
      guards.push(guard);
      expect(typeof guard.decisionsEndpoint).toBe("function");
      const [id] = seeded("planned");
      const decision = await guard.authorize(await requestOf(id!), sessionOf());
      const approvalId = decision.kind === "pending" ? decision.pending.approval_id : "";
      await until(() => received.length > 0);
      expect(received).toHaveLength(1);
      expect(received[0]!.headers["x-retivo-signature"]).toMatch(/^v1=[0-9a-f]{64}$/);
      expect(received[0]!.body).toMatchObject({ type: "approval.requested", approval: { id: approvalId }, decisions_url: `https://mcp.example.com/approvals/${approvalId}/decisions` });
    } finally {
      await new Promise<void>((done) => receiver.close(() => done()));
    }
  });

  it("has no decisions endpoint without the webhook", async () => {
    await harness();
    expect((await guardWith()).decisionsEndpoint).toBeUndefined();
  });
});

describe("answers on the guard's own page", () => {
  const pageOf = async (guard: ApprovalGuardWithPage, approvalId: string) => approvalPageUrl(await guard.approvalPage.baseUrl(), approvalId, await pageTokenFor(h!.runtime.store, approvalId));
  async function answerOnPage(url: string, decision: string, more: Record<string, string> = {}): Promise<number> {
    const { token, csrf } = await openPage(url);
    return (await postPage(url, { token, csrf, decision, ...more })).status;
  }

  it("tells the team a denial and a void made on the page, and a release once", async () => {
    await harness();
    await setPassphrase(h!.runtime.store, "correct horse battery");
    const sink = recordingSink();
    const guard = await guardWith({ noticeSinks: [sink] });
    const [denied, voided, released] = seeded("planned");
    const ids: Record<string, string> = {};
    for (const id of [denied!, voided!, released!]) {
      const decision = await guard.authorize(await requestOf(id), sessionOf());
      ids[id] = decision.kind === "pending" ? decision.pending.approval_id : "";
    }
    expect(await answerOnPage(await pageOf(guard, ids[released!]!), "approve", { passphrase: "correct horse battery" })).toBe(200);
    expect(await answerOnPage(await pageOf(guard, ids[denied!]!), "deny", { passphrase: "correct horse battery" })).toBe(200);
    // The fifth wrong passphrase voids the request (and locks the page's channel for a while, so it comes last).
    for (let i = 0; i < 5; i++) await answerOnPage(await pageOf(guard, ids[voided!]!), "approve", { passphrase: `wrong passphrase ${i}` });
    await until(() => sink.sent.filter((notice) => notice.kind === "outcome").length >= 3);
    // Closing waits for anything still being told; a second notice of any answer would be in by then.
    await guard.close!();
    const outcomes = sink.sent.filter((notice) => notice.kind === "outcome").map((notice) => [notice.request.approval_id, notice.request.status]);
    expect(outcomes).toEqual([
      [ids[released!], "executed"],
      [ids[denied!], "denied"],
      [ids[voided!], "void"],
    ]);
  });
});
