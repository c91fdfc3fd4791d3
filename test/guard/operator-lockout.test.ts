/**
 * Guessing one operator's passphrase on the approval page (what an agent
 * that can reach the page might do) locks that operator out of the page
 * only: the request voids itself after a few wrong guesses, the next
 * request's page refuses that operator for a while, and meanwhile another
 * operator decides on the page and the guessed-at operator in their own
 * terminal, which has its own counter. Through the built server over stdio,
 * the page over HTTP and the built CLI on a pseudo-terminal.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterEach, beforeAll, expect, it } from "vitest";
import { cliEnv, openPage, postPage, requireBuiltCli } from "./helpers.js";
import { addOperators, agentOver, approveInPty, call, churnPlaybookIn, PASSPHRASES, webhookWithOffer, type Pending } from "./team-support.js";

let dir: string | undefined;
let client: Client | undefined;
beforeAll(requireBuiltCli);
afterEach(async () => {
  await client?.close();
  client = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function answerOnPage(url: string, operator: string, passphrase: string): Promise<{ status: number; html: string }> {
  const page = await openPage(url);
  return postPage(url.split("?")[0]!, { token: page.token, csrf: page.csrf, decision: "approve", operator, passphrase });
}

it("locks the guessed operator out of the page only; the others, and that operator's terminal, still decide", async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-operator-lockout-"));
  const policyFile = join(dir, "policy.json");
  writeFileSync(policyFile, JSON.stringify({ rules: [{ name: "two for all", match: { action: "approve" }, require: 2 }] }));
  const env = cliEnv(dir, { RETIVO_POLICY: policyFile });
  await addOperators({ dbPath: env.RETIVO_DB! }, ["alice", "bob"]);
  client = await agentOver(env);
  const id = await webhookWithOffer(client, churnPlaybookIn(env.RETIVO_DB!));
  const first = (await call(client, "approve_intervention", { intervention_id: id })).structuredContent as unknown as Pending;

  let last = { status: 0, html: "" };
  for (let guess = 1; guess <= 5; guess++) last = await answerOnPage(first.approval!.approval_url!, "alice", `guess number ${guess} for alice`);
  expect(last.html).toContain("Voided by the system");
  expect(last.html).toContain("5 wrong operator passphrases were entered for this request");

  const second = (await call(client, "approve_intervention", { intervention_id: id })).structuredContent as unknown as Pending;
  expect(second.approval!.approval_id).not.toBe(first.approval!.approval_id);
  const locked = await answerOnPage(second.approval!.approval_url!, "alice", PASSPHRASES.alice!);
  expect(locked.status).toBe(403);
  expect(locked.html).toMatch(/Too many wrong operator passphrases on the approval page: attempts there are refused until/);

  const byBob = await answerOnPage(second.approval!.approval_url!, "bob", PASSPHRASES.bob!);
  expect(byBob.html).toContain("Your approval is counted; nothing is released yet: needs 2 of: alice, bob; 1 given (bob)");

  const byAlice = await approveInPty(second.approval!.approval_id, "alice", env);
  expect(byAlice.output).toMatch(/Released: int_\w+ is approved \(by bob, alice\)/);
  expect(byAlice.code).toBe(0);
}, 90_000);
