/**
 * Resource subscriptions: a client subscribed to retivo://interventions/{id}
 * hears `notifications/resources/updated` whoever changes it: another MCP
 * session's tool call, the dispatcher, or the REST server running in another
 * process on the same SQLite file. Unsubscribing stops it. The poll interval
 * is shortened for the test; every wait is a generous poll, never a fixed sleep.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_SUBSCRIPTIONS } from "../../src/mcp/resources/subscriptions.js";
import { acceptEverything, seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const LIVE_KEY = "rt_live_subscriptions0000000000000";
const WAIT = { timeout: 10_000, interval: 50 };

let h: Harness;
let other: Client;
const updated: string[] = [];

beforeAll(async () => {
  h = await startHarness({ env: { RETIVO_SUBSCRIPTION_POLL_MS: "100" }, onElicit: acceptEverything });
  h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
  other = await h.connectAnother({ onElicit: acceptEverything, clientName: "other-agent" });
});
afterAll(async () => h.close());

const uriOf = (id: string) => `retivo://interventions/${id}`;
const heard = (uri: string) => updated.filter((u) => u === uri).length;

describe("resources/subscribe", () => {
  it("is declared in the server's capabilities", () => {
    expect(h.client.getServerCapabilities()?.resources?.subscribe).toBe(true);
  });

  it("notifies when another session changes a subscribed intervention, and not before", async () => {
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.client.subscribeResource({ uri: uriOf(id) });
    expect(heard(uriOf(id))).toBe(0);
    await other.callTool({ name: "pause_intervention", arguments: { intervention_id: id } });
    await expect.poll(() => heard(uriOf(id)), WAIT).toBe(1);
    const { contents } = await h.client.readResource({ uri: uriOf(id) });
    expect(JSON.parse((contents[0] as { text: string }).text).intervention.status).toBe("paused");
  });

  it("notifies when the dispatcher sends an approved one", async () => {
    // A new intervention is planned for now, so the dispatcher's next run is due to send it once approved.
    const id = await createDueNow();
    await h.client.callTool({ name: "approve_intervention", arguments: { intervention_id: id } });
    expect(storedStatus(h.runtime, id).status).toBe("approved");
    await h.client.subscribeResource({ uri: uriOf(id) });
    await h.runtime.dispatcher!.runOnce();
    expect(storedStatus(h.runtime, id).status).toMatch(/sent|delivered/);
    await expect.poll(() => heard(uriOf(id)), WAIT).toBeGreaterThanOrEqual(1);
  });

  it("notifies when the REST server in another process changes it in the same SQLite file", { timeout: 30_000 }, async () => {
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    await h.client.subscribeResource({ uri: uriOf(id) });
    const rest = await startRestProcess();
    try {
      const response = await fetch(`${rest.url}/api/interventions/${id}/pause`, { method: "PUT", headers: { authorization: `Bearer ${LIVE_KEY}` } });
      expect(response.status).toBe(200);
      await expect.poll(() => heard(uriOf(id)), WAIT).toBe(1);
    } finally {
      rest.child.kill();
    }
  });

  it("stops after unsubscribe: a later change is not heard, while a still-watched one is", async () => {
    const dropped = seededId(h.runtime, "planned", "AND flagged = 0");
    const kept = seededId(h.runtime, "paused", "AND flagged = 0");
    await h.client.subscribeResource({ uri: uriOf(dropped) });
    await h.client.subscribeResource({ uri: uriOf(kept) });
    await h.client.unsubscribeResource({ uri: uriOf(dropped) });
    await other.callTool({ name: "pause_intervention", arguments: { intervention_id: dropped } });
    await other.callTool({ name: "reject_intervention", arguments: { intervention_id: kept, reason: "Not needed any more." } });
    // A poll that saw the later change has also seen the earlier one: had it been watched, it would be heard now.
    await expect.poll(() => heard(uriOf(kept)), WAIT).toBe(1);
    expect(heard(uriOf(dropped))).toBe(0);
  });

  it("refuses an intervention that does not exist, with resource-not-found", async () => {
    await expect(h.client.subscribeResource({ uri: uriOf("int_nosuchthing000000000") })).rejects.toMatchObject({ code: -32002 });
  });

  it("accepts other URIs, which never change on their own, and unsubscribes from them alike", async () => {
    await expect(h.client.subscribeResource({ uri: "retivo://settings" })).resolves.toEqual({});
    await expect(h.client.unsubscribeResource({ uri: "retivo://settings" })).resolves.toEqual({});
  });

  it(`caps a session at ${MAX_SUBSCRIPTIONS} subscriptions`, async () => {
    const client = await h.connectAnother({});
    for (let i = 0; i < MAX_SUBSCRIPTIONS; i++) await client.subscribeResource({ uri: `test://watched/${i}` });
    await expect(client.subscribeResource({ uri: "test://watched/one-more" })).rejects.toThrow(/At most 100 resource subscriptions/);
  });
});

/** Creates an in-app intervention for the first user the engine would contact; it is planned for now. */
async function createDueNow(): Promise<string> {
  const { completion } = await h.client.complete({ ref: { type: "ref/resource", uri: "retivo://customers/{user_id}" }, argument: { name: "user_id", value: "" } });
  for (const user_id of completion.values) {
    const { decision } = await h.ok<{ decision: { action: string; playbook_id: string } }>("dry_run_intervention", { user_id, channel: "in_app" });
    if (decision.action !== "intervene") continue;
    return (await h.ok<{ id: string }>("create_intervention", { user_id, playbook_id: decision.playbook_id, channel: "in_app" })).id;
  }
  throw new Error("no seeded user would be contacted in-app");
}

/** `retivo-mcp api` on the harness's store file, in its own process; resolves once it listens. */
function startRestProcess(): Promise<{ child: ChildProcess; url: string }> {
  const env = { PATH: process.env.PATH ?? "", HOME: h.dir, RETIVO_DB: h.runtime.config.dbPath, RETIVO_DATA_DIR: h.dir, RETIVO_API_KEYS: LIVE_KEY, RETIVO_LLM: "template" };
  const child = spawn(process.execPath, [CLI, "api", "--port", "0"], { env, stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/\S+) /.exec(log);
      if (match) resolve({ child, url: match[1]! });
    });
    child.once("exit", (code) => reject(new Error(`retivo-mcp api exited ${code}: ${log}`)));
  });
}
