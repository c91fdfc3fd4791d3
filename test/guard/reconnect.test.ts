/**
 * A human's approval is never stranded. Clients that start one server process
 * per call (the MCP Inspector CLI, IDE reloads) or reconnect find the same
 * request, and the human's decision releases the action by itself: client 1
 * gets pending_approval and exits; the human approves in a real terminal;
 * the intervention is approved with no agent call at all; a new client
 * process only learns that it is done. The approval page's link also
 * survives the agent asking again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult, ElicitRequestURLParams } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { CLI, cliEnv, openPage, postPage, requireBuiltCli, runCliInPty } from "./helpers.js";

interface Pending {
  id: string;
  status: string;
  approval?: { approval_id: string; instructions: string; approval_url: string | null };
}

let dir: string | undefined;
let h: Harness | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** One MCP client process pair: our built server, spawned over stdio, used for one call, then gone. */
async function oneCallInNewProcess(env: Record<string, string>, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const client = new Client({ name: "inspector-cli", version: "0.17" }, { capabilities: {} });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, "serve"], env: { PATH: process.env.PATH ?? "", ...env } }));
  try {
    return (await client.callTool({ name, arguments: args })) as CallToolResult;
  } finally {
    await client.close();
  }
}

function statusIn(dbPath: string, id: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare("SELECT status FROM interventions WHERE id = ?").pluck().get(id) as string) ?? "missing";
  } finally {
    db.close();
  }
}

describe("approvals survive the client", () => {
  it("client 1 exits pending; the human approves in the terminal; it is released with no agent call; a new process sees it done", async () => {
    dir = mkdtempSync(join(tmpdir(), "retivo-reconnect-"));
    const env = cliEnv(dir);
    const dbPath = env.RETIVO_DB!;
    // Seed the store and pick a planned, unflagged intervention, as the agent would by listing.
    const list = await oneCallInNewProcess(env, "list_interventions", { status: "planned", flagged: false, limit: 1 });
    const id = (list.structuredContent as { interventions: { id: string }[] }).interventions[0]!.id;

    const first = await oneCallInNewProcess(env, "approve_intervention", { intervention_id: id });
    const pending = first.structuredContent as unknown as Pending;
    expect(pending.status).toBe("planned");
    const approvalId = pending.approval!.approval_id;
    // Asked again from yet another process: the same request, not a new one.
    const again = (await oneCallInNewProcess(env, "approve_intervention", { intervention_id: id })).structuredContent as unknown as Pending;
    expect(again.approval?.approval_id).toBe(approvalId);

    // No server runs now. The human approves in their own terminal.
    const { code, output } = await runCliInPty(`approvals approve ${approvalId}`, env, [
      { expect: /Approve and release this message\? \[y\/N\] $/, send: "y\r" },
      { expect: /Note for the audit log \(optional\): $/, send: "\r" },
    ]);
    expect(output).toMatch(/Released: int_\w+ is approved \(by human:cli\)/);
    expect(output).not.toMatch(/next .*call .*will go ahead/);
    expect(code).toBe(0);
    expect(statusIn(dbPath, id)).toBe("approved");

    const report = await oneCallInNewProcess(env, "approve_intervention", { intervention_id: id });
    expect(report.isError).toBeFalsy();
    expect(report.structuredContent).toEqual({ id, status: "approved" });
    expect((report.content as { text: string }[])[0]!.text).toContain(`a human approved it (human:cli, approval ${approvalId})`);
  });

  it("keeps the approval page's link valid when the agent asks again before the human opened it", async () => {
    const links: string[] = [];
    h = await startHarness({
      capabilities: { elicitation: { url: {} } },
      onElicit: (request) => {
        links.push((request.params as ElicitRequestURLParams).url);
        return { action: "accept" };
      },
    });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const call = () => h!.client.callTool({ name: "approve_intervention", arguments: { intervention_id: id } }) as Promise<CallToolResult>;
    // An impatient agent: a second call while the first still waits for the page.
    const firstCall = call();
    await expect.poll(() => links.length).toBe(1);
    const secondCall = call();
    await expect.poll(() => links.length).toBe(2);
    expect(links[1]).toBe(links[0]);

    // The human opens the first link they were given: it still works, and approving releases it.
    const page = await openPage(links[0]!);
    expect(page.status).toBe(200);
    const answer = await postPage(links[0]!, { token: page.token, csrf: page.csrf, decision: "approve" });
    expect(answer.status).toBe(200);
    expect(answer.html).toContain("Released:");
    expect(storedStatus(h.runtime, id).status).toBe("approved");
    for (const result of await Promise.all([firstCall, secondCall])) expect(result.structuredContent).toEqual({ id, status: "approved" });
    // Afterwards the link only shows what happened.
    const after = await openPage(links[0]!);
    expect(after.status).toBe(409);
    expect(after.html).toContain("Released:");
  });
});
