/**
 * The REST server once named operators exist: a live approve or rollback
 * names an operator (X-Retivo-Operator) and gives that operator's own
 * passphrase; the single passphrase, an unknown name or another operator's
 * passphrase do not do, and calls without the headers never count as guesses.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { passphraseRecord } from "../../src/guard/passphrase.js";
import { fixturesFrom } from "../contract/harness.js";
import { LIVE_KEY, startTestServer, type TestServer } from "./support.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  for (const [name, passphrase] of [["alice", "alice correct horse"], ["bob", "bob battery staple"]] as const) {
    await t.store.operators.add({ name, passphrase: await passphraseRecord(passphrase), principal: null, created_at: new Date().toISOString() }, { tenant_id: "live", event: "operator_added", actor: "test" });
  }
}, 30_000);
afterAll(() => t?.close());

it("needs a named operator and that operator's passphrase for a live approve", async () => {
  const live = await fixturesFrom(t.store, "live");
  const created = await t.call("POST", "/api/interventions", { key: LIVE_KEY, body: { user_id: live.userId, playbook_id: live.playbookId, channel: live.channel } });
  const id = created.body.id as string;
  const approve = (headers: Record<string, string>) => t.call("PUT", `/api/interventions/${id}/approve`, { key: LIVE_KEY, headers });

  const bare = await approve({});
  expect(bare.status).toBe(403);
  expect(bare.body.error).toMatch(/named operators: approve and rollback need one of them/);
  expect((await approve({ "x-retivo-operator-passphrase": "alice correct horse" })).status).toBe(403);
  expect((await approve({ "x-retivo-operator": "mallory", "x-retivo-operator-passphrase": "alice correct horse" })).status).toBe(403);
  expect((await approve({ "x-retivo-operator": "bob", "x-retivo-operator-passphrase": "alice correct horse" })).status).toBe(403);
  expect((t.db.prepare("SELECT status FROM interventions WHERE id = ?").get(id) as { status: string }).status).toBe("planned");

  const ok = await approve({ "x-retivo-operator": "alice", "x-retivo-operator-passphrase": "alice correct horse" });
  expect(ok.body).toEqual({ id, status: "approved" });
}, 30_000);

it("holds a REST approve to the approval policy: one operator cannot release what a rule gives to two", async () => {
  const dir = mkdtempSync(join(tmpdir(), "retivo-policy-"));
  const file = join(dir, "policy.json");
  writeFileSync(file, JSON.stringify({ rules: [{ name: "two for live approvals", match: { action: "approve", data_set: "live" }, require: 2 }] }));
  const held = await startTestServer({ RETIVO_POLICY: file });
  try {
    await held.store.operators.add({ name: "alice", passphrase: await passphraseRecord("alice correct horse"), principal: null, created_at: new Date().toISOString() }, { tenant_id: "live", event: "operator_added", actor: "test" });
    const live = await fixturesFrom(held.store, "live");
    const created = await held.call("POST", "/api/interventions", { key: LIVE_KEY, body: { user_id: live.userId, playbook_id: live.playbookId, channel: live.channel } });
    const id = created.body.id as string;
    const refused = await held.call("PUT", `/api/interventions/${id}/approve`, { key: LIVE_KEY, headers: { "x-retivo-operator": "alice", "x-retivo-operator-passphrase": "alice correct horse" } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/needs 2 distinct operators .* one operator's REST call cannot release it/);
    expect((held.db.prepare("SELECT status FROM interventions WHERE id = ?").get(id) as { status: string }).status).toBe("planned");
    // The rule is about live approvals: a pause (no approval at all) still works.
    expect((await held.call("PUT", `/api/interventions/${id}/pause`, { key: LIVE_KEY })).body).toEqual({ id, status: "paused" });
  } finally {
    await held.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
