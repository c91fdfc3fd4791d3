/**
 * No request waits forever: with a policy that reminds after 1 s, escalates
 * after 2 s and expires after 5 s, a running server (the built one, over
 * stdio) sends the reminder and then the escalation on time, once each,
 * audits them and logs them to stderr (the default notice sink), expires the
 * request, and the agent's next call is told it expired and gets a new one.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterEach, beforeAll, expect, it } from "vitest";
import { openStore, type AuditRow } from "../../src/store/index.js";
import { cliEnv, requireBuiltCli } from "./helpers.js";
import { addOperators, agentOver, call, churnPlaybookIn, textOf, webhookWithOffer, type Pending } from "./team-support.js";
import { sleep } from "../support/wait.js";

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(100);
  }
}

let dir: string | undefined;
let client: Client | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await client?.close();
  client = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const QUICK = {
  rules: [{ name: "quick", match: { action: "approve" }, require: 2, remind_after: "1s", escalate_after: "2s", expires_after: "5s" }],
};

it("reminds, escalates and expires on time, once each, and tells the agent on its next call", async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-team-expiry-"));
  const policyFile = join(dir, "policy.json");
  writeFileSync(policyFile, JSON.stringify(QUICK));
  const env = cliEnv(dir, { RETIVO_POLICY: policyFile, LOG_LEVEL: "info" });
  await addOperators({ dbPath: env.RETIVO_DB! }, ["alice", "bob"]);
  const logged: string[] = [];
  client = await agentOver(env, (line) => logged.push(line));
  const id = await webhookWithOffer(client, churnPlaybookIn(env.RETIVO_DB!));
  const first = (await call(client, "approve_intervention", { intervention_id: id })).structuredContent as unknown as Pending;
  const approvalId = first.approval!.approval_id;

  const store = await openStore({ dbPath: env.RETIVO_DB! });
  try {
    const trail = async (event: string): Promise<AuditRow[]> => (await store.audit.trail(id)).filter((e) => e.event === event);
    const request = (await store.approvals.get(approvalId))!;
    const created = Date.parse(request.created_at);
    await waitFor(async () => (await trail("approval_expired")).length === 1, 12_000);

    const [reminder] = await trail("approval_reminder");
    const [escalation] = await trail("approval_escalated");
    const [expired] = await trail("approval_expired");
    // On time: not before its moment, and within the sweep's period (2 s) and a little after it.
    expect(Date.parse(reminder!.at) - created).toBeGreaterThanOrEqual(1000);
    expect(Date.parse(reminder!.at) - created).toBeLessThan(4000);
    expect(Date.parse(escalation!.at) - created).toBeGreaterThanOrEqual(2000);
    expect(Date.parse(escalation!.at)).toBeGreaterThanOrEqual(Date.parse(reminder!.at));
    expect(Date.parse(expired!.at) - created).toBeGreaterThanOrEqual(5000);
    expect(expired!.actor).toBe("system:guard");
    expect((await store.approvals.get(approvalId))!).toMatchObject({ status: "expired", outcome: "expired unanswered" });

    // Told to the team through the default sink, once each.
    await waitFor(async () => logged.some((line) => line.includes("approval outcome")), 3_000);
    const notices = logged.filter((line) => line.includes(approvalId) && /"notice":"(requested|reminder|escalation|outcome)"/.test(line)).map((line) => /"notice":"(\w+)"/.exec(line)![1]);
    expect(notices).toEqual(["requested", "reminder", "escalation", "outcome"]);
    expect(logged.join("\n")).toContain("needs 2 of: alice, bob; none given yet");

    // The agent's next call: told, and asked anew.
    const next = await call(client, "approve_intervention", { intervention_id: id });
    expect(textOf(next)).toContain(`The earlier approval request ${approvalId} expired unanswered; nothing was released, and a new request was opened.`);
    const again = next.structuredContent as unknown as Pending;
    expect(again.status).toBe("planned");
    expect(again.approval!.approval_id).not.toBe(approvalId);
    expect(await trail("approval_reminder")).toHaveLength(1);
    expect(await trail("approval_escalated")).toHaveLength(1);
  } finally {
    await store.close();
  }
}, 60_000);
