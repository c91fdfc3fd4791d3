/**
 * Resources, completions and prompts in API mode, through a real MCP client
 * whose server runs HttpBackend over real HTTP against the local REST server
 * (`retivo-mcp api`, a test key). Only what works over the API is offered.
 */
import { join } from "node:path";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf, type SqliteDb } from "../support/sqlite.js";
import { parseConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { startRestServer, type RestServer } from "../../src/rest/server.js";
import { tempDir } from "../contract/harness.js";
import { startHarness, type Harness } from "../support/harness.js";

const KEY = "rt_test_triage000000000000000000";

let rest: RestServer;
let restStore: Store;
let restDb: SqliteDb;
let dir: ReturnType<typeof tempDir>;
let h: Harness;

beforeAll(async () => {
  dir = tempDir();
  const config = parseConfig(["api", "--port", "0", "--host", "127.0.0.1"], {
    RETIVO_DB: join(dir.path, "rest.db"),
    RETIVO_LLM: "template",
    RETIVO_DATA_DIR: dir.path,
    RETIVO_API_KEYS: KEY,
    RETIVO_API_RATE_PER_MINUTE: "100000",
  });
  restStore = await openStore(config);
  restDb = dbOf(restStore);
  rest = await startRestServer({ config, logger: silentLogger(), store: restStore, startDispatcher: false });
  h = await startHarness({ env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: rest.url, RETIVO_SUBSCRIPTION_POLL_MS: "100" } });
});
afterAll(async () => {
  await h?.close();
  await rest?.close();
  await restStore?.close();
  dir?.remove();
});

/** An id in the REST server's test data set, which is what a test key sees. */
function remoteId(where: string): string {
  const row = restDb.prepare(`SELECT id FROM interventions WHERE tenant_id = 'test' AND ${where} ORDER BY seq DESC LIMIT 1`).get() as
    | { id: string }
    | undefined;
  if (!row) throw new Error(`no remote intervention where ${where}`);
  return row.id;
}

describe("API mode", () => {
  it("offers only the intervention template, and says so in the instructions", async () => {
    expect(h.runtime.backend.mode).toBe("api-test");
    const { resourceTemplates } = await h.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(["retivo://interventions/{id}"]);
    expect((await h.client.listResources()).resources).toEqual([]);
    expect(h.client.getInstructions()).toMatch(/customers, playbooks and settings are not available through the Retivo API/);
    await expect(h.client.readResource({ uri: "retivo://settings" })).rejects.toThrow();
  });

  it("reads an intervention through the API, without local deliveries", async () => {
    const id = remoteId("status = 'planned'");
    const doc = JSON.parse(((await h.client.readResource({ uri: `retivo://interventions/${id}` })).contents[0] as { text: string }).text) as {
      intervention: { id: string };
      audit_trail: unknown[];
      deliveries: unknown;
    };
    expect(doc.intervention.id).toBe(id);
    expect(Array.isArray(doc.audit_trail)).toBe(true);
    expect(doc.deliveries).toBeNull();
    await expect(h.client.readResource({ uri: "retivo://interventions/int_nothere000000000000" })).rejects.toMatchObject({ code: -32002 });
  });

  it("completes intervention ids from the newest page of the API", async () => {
    const id = remoteId("1 = 1");
    const { completion } = await h.client.complete({
      ref: { type: "ref/resource", uri: "retivo://interventions/{id}" },
      argument: { name: "id", value: id.slice(0, 6) },
    });
    expect(completion.values).toContain(id);
  });

  it("runs the prompts over the API, without local-only context", async () => {
    const triage = await h.client.getPrompt({ name: "triage_flagged", arguments: {} });
    expect((triage.messages[0]!.content as { text: string }).text).toContain("DATA (JSON)");
    const id = remoteId("status = 'planned'");
    const explain = await h.client.getPrompt({ name: "explain_intervention", arguments: { id } });
    const text = (explain.messages[0]!.content as { text: string }).text;
    expect(text).toContain(id);
    expect(text).toMatch(/not available in API mode/);
    const sent = remoteId("status IN ('sent', 'delivered')");
    const { completion } = await h.client.complete({ ref: { type: "ref/prompt", name: "rollback_review" }, argument: { name: "id", value: "" } });
    expect(completion.values).toContain(sent);
  });

  it("notifies a subscriber when the intervention changes upstream, outside this server", async () => {
    const id = remoteId("status = 'planned'");
    const heard: string[] = [];
    h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void heard.push(n.params.uri));
    await h.client.subscribeResource({ uri: `retivo://interventions/${id}` });
    const paused = await fetch(`${rest.url}/api/interventions/${id}/pause`, { method: "PUT", headers: { authorization: `Bearer ${KEY}` } });
    expect(paused.status).toBe(200);
    await expect.poll(() => heard, { timeout: 10_000, interval: 50 }).toEqual([`retivo://interventions/${id}`]);
    await h.client.unsubscribeResource({ uri: `retivo://interventions/${id}` });
  });

  it("tells the agent no false limit on an unfiltered first page: the cursor pages on", async () => {
    const result = await h.call("list_interventions", { limit: 5 });
    const text = (result.content as { text: string }[])[0]!.text;
    expect((result.structuredContent as { next_cursor: string | null }).next_cursor).not.toBeNull();
    expect(text).not.toContain("no further back");
    expect(result.structuredContent).not.toHaveProperty("note");
  });

  it("says whether a created intervention is flagged, reading it back when the API's answer does not say", async () => {
    const users = restDb.prepare("SELECT id FROM customers WHERE tenant_id = 'test' ORDER BY id").pluck().all() as string[];
    let created: { id: string } | undefined;
    let text = "";
    for (const user_id of users) {
      const { decision } = await h.ok<{ decision: { action: string; playbook_id: string; channel: string } }>("dry_run_intervention", { user_id });
      if (decision.action !== "intervene") continue;
      const result = await h.call("create_intervention", { user_id, playbook_id: decision.playbook_id, channel: decision.channel });
      created = result.structuredContent as { id: string };
      text = (result.content as { text: string }[])[0]!.text;
      break;
    }
    expect(created, "a test-data user the engine would contact").toBeDefined();
    const remote = restDb.prepare("SELECT flagged, flag_reason FROM interventions WHERE id = ?").get(created!.id) as { flagged: number; flag_reason: string | null };
    expect(text).toContain(remote.flagged ? `FLAGGED: ${remote.flag_reason}` : "Not flagged.");
  });
});
