/**
 * A team's `serve --http` server for the approval webhook and page login
 * tests: operators added through the store's own setters before start (the
 * policy check at start demands them), the 2-of-3 policy, the
 * webhook pointed at a loopback chat tool, and a pending request for a live
 * webhook with an offer, asked for by a real MCP client.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { passphraseRecord } from "../../src/guard/passphrase.js";
import { openStore, type Store } from "../../src/store/index.js";
import type { HttpServerOptions } from "../../src/transport/http.js";
import { startHttpHarness, type HttpHarness } from "../transport/helpers.js";

export const WEBHOOK_SECRET = "s3cret-for-the-approval-webhook-0123456789";

/** The policy: 2 of 3 for live webhooks with offers, the requester's own (carol runs the local agents) barred. */
export const TWO_OF_THREE = {
  principals: { local: "carol" },
  rules: [{ name: "live webhooks with offers", match: { action: "approve", data_set: "live", channel: "webhook", offers: true }, require: 2, requester_may_approve: false }],
};

export async function addOperators(store: Store, names: string[]): Promise<void> {
  for (const name of names) {
    const event = { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } };
    await store.operators.add({ name, passphrase: await passphraseRecord(`${name} long passphrase`), principal: null, created_at: new Date().toISOString() }, event);
  }
}

/** A server with the webhook configured and a 2-of-3 policy barring carol (the local agents' own operator). */
export async function teamServer(chatUrl: string, operators: string[], env: Record<string, string> = {}, server: HttpServerOptions = {}): Promise<HttpHarness> {
  const dir = mkdtempSync(join(tmpdir(), "retivo-team-"));
  const policyFile = join(dir, "policy.json");
  writeFileSync(policyFile, JSON.stringify(TWO_OF_THREE));
  // The operators exist before the server starts, as the policy check at start demands.
  const dbPath = join(dir, "retivo.db");
  const store = await openStore({ dbPath, ...(env.RETIVO_DATABASE_URL ? { databaseUrl: env.RETIVO_DATABASE_URL } : {}) });
  await addOperators(store, operators).finally(() => store.close());
  return startHttpHarness({ env: { RETIVO_DB: dbPath, RETIVO_POLICY: policyFile, RETIVO_APPROVAL_WEBHOOK_URL: chatUrl, RETIVO_APPROVAL_WEBHOOK_SECRET: WEBHOOK_SECRET, ...env }, server });
}

/** Asks for the approval of a live webhook intervention with an offer; returns its id and the request's. */
export async function pendingApproval(harness: HttpHarness): Promise<{ interventionId: string; approvalId: string; agent: Awaited<ReturnType<HttpHarness["connect"]>> }> {
  const agent = await harness.connect();
  const playbook = (await harness.runtime.store.catalog.playbooks("live")).find((p) => p.name === "Churn Risk Rescue")!;
  const created = await agent.ok<{ id: string }>("create_intervention", { user_id: "user-1", playbook_id: playbook.id, channel: "webhook" });
  const pending = await agent.ok<{ status: string; approval: { approval_id: string } }>("approve_intervention", { intervention_id: created.id });
  expect(pending.status).toBe("planned");
  return { interventionId: created.id, approvalId: pending.approval.approval_id, agent };
}

export const decisionsUrl = (harness: HttpHarness, approvalId: string) => `${new URL(harness.url).origin}/approvals/${approvalId}/decisions`;
