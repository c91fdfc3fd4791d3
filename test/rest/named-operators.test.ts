/**
 * The REST server once named operators exist: a live approve or rollback
 * names an operator (X-Retivo-Operator) and gives that operator's own
 * passphrase; the single passphrase, an unknown name or another operator's
 * passphrase do not do, and calls without the headers never count as guesses.
 */
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
