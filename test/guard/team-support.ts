/**
 * What the team-approval tests share: operators arranged through the store's
 * own setters, an agent on the built server over stdio, and a live webhook
 * intervention carrying its playbook's offer (what the example policy's rule
 * is about).
 */
import Database from "better-sqlite3";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import { passphraseRecord } from "../../src/guard/passphrase.js";
import { openStore, type StoreLocation } from "../../src/store/index.js";
import { CLI, runCliInPty } from "./helpers.js";

export const PASSPHRASES: Record<string, string> = { alice: "alice correct horse", bob: "bob battery staple", carol: "carol purple monkey" };

export const TWO_OF_THREE_FOR_LIVE_WEBHOOKS_WITH_OFFERS = {
  principals: { local: "carol" },
  rules: [
    {
      name: "live webhooks with offers",
      match: { action: "approve", data_set: "live", channel: "webhook", offers: true },
      require: 2,
      requester_may_approve: false,
    },
  ],
};

export interface Pending {
  id: string;
  status: string;
  approval?: { approval_id: string; instructions: string; approval_url: string | null };
}

/** Arranged through the store's own setters, as `operators add` would leave them. */
export async function addOperators(location: StoreLocation, names: string[]): Promise<void> {
  const store = await openStore(location);
  try {
    for (const name of names) {
      const event = { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: name } };
      await store.operators.add({ name, passphrase: await passphraseRecord(PASSPHRASES[name]!), principal: null, created_at: new Date().toISOString() }, event);
    }
  } finally {
    await store.close();
  }
}

/** The built server over stdio; `onLog` receives its stderr (the logs) line by line. */
export async function agentOver(env: Record<string, string>, onLog?: (line: string) => void): Promise<Client> {
  const agent = new Client({ name: "team-agent", version: "1.0" }, { capabilities: {} });
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "serve"], env: { PATH: process.env.PATH ?? "", ...env }, stderr: "pipe" });
  let partial = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLog?.(line);
  });
  await agent.connect(transport);
  return agent;
}

export async function call(agent: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await agent.callTool({ name, arguments: args })) as CallToolResult;
}

export const textOf = (result: CallToolResult) => (result.content as { text: string }[]).map((c) => c.text).join("\n");

/** A live webhook intervention whose message carries its playbook's offer: what the policy's rule is about. */
export async function webhookWithOffer(agent: Client, playbookId: string): Promise<string> {
  const created = await call(agent, "create_intervention", { user_id: "user-1", playbook_id: playbookId, channel: "webhook" });
  expect(created.isError ?? false).toBe(false);
  return (created.structuredContent as { id: string }).id;
}

export function churnPlaybookIn(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare("SELECT id FROM playbooks WHERE tenant_id = 'live' AND name = 'Churn Risk Rescue'").pluck().get() as string;
  } finally {
    db.close();
  }
}


/** An operator approving in the built CLI on a real pseudo-terminal, with their own passphrase. */
export function approveInPty(approvalId: string, operator: string, env: Record<string, string>) {
  return runCliInPty(`approvals approve ${approvalId} --as ${operator}`, env, [
    { expect: /Approve and release this message\? \[y\/N\] $/, send: "y\r" },
    { expect: /Note for the audit log \(optional\): $/, send: `${operator} checked it\r` },
    { expect: new RegExp(`Passphrase of ${operator}: $`), send: `${PASSPHRASES[operator]}\r` },
  ], 40_000);
}

