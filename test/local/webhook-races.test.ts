/**
 * Webhook deliveries racing a rollback: an attempt the endpoint accepted is
 * always recorded even when a rollback won meanwhile, and a delivery rolled
 * back before its first POST is never sent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Dispatcher } from "../../src/backend/local/dispatch.js";
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf, type SqliteDb as Db } from "../support/sqlite.js";
import { postWithRetries } from "../../src/backend/local/webhook-retry.js";
import { silentLogger } from "../../src/log.js";
import { dueIntervention } from "./support/due.js";

const SECRET = "whsec_races_0123456789";

let receiver: Server;
let receiverUrl: string;
let posts = 0;
/** Runs while a POST is in flight, before the endpoint answers. */
let onPost: () => void = () => {};

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      posts++;
      onPost();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

let dir: string;
let store: Store;
let db: Db;

beforeEach(async () => {
  posts = 0;
  onPost = () => {};
  dir = mkdtempSync(join(tmpdir(), "retivo-races-"));
  store = await openStore({ dbPath: join(dir, "store.db") });
  db = dbOf(store);
  await ensureSeeded(store, "live", 42);
  await store.catalog.setWebhook("live", receiverUrl, SECRET);
  db.prepare("UPDATE tenants SET kill_switch_active = 0, shadow_mode = 0 WHERE id = 'live'").run();
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const dueWebhook = () => dueIntervention(db, "webhook");

describe("a rollback that wins while the POST is in flight", () => {
  it("keeps the rollback, and still records that the endpoint accepted the delivery", async () => {
    const id = dueWebhook();
    onPost = () => {
      db.prepare("UPDATE interventions SET status = 'rolled_back', rolled_back_at = ?, version = version + 1 WHERE id = ?").run(new Date().toISOString(), id);
    };
    const dispatcher = new Dispatcher({ store, logger: silentLogger(), outboxDir: join(dir, "outbox"), tenants: ["live"], webhookRetryDelaysMs: [20] });
    try {
      expect(await dispatcher.runOnce()).toBe(1);
    } finally {
      await dispatcher.stop();
    }
    expect(posts).toBe(1);
    expect((db.prepare("SELECT status FROM interventions WHERE id = ?").get(id) as { status: string }).status).toBe("rolled_back");
    const deliveries = (await store.deliveries.of(id)).filter((d) => d.kind === "delivery");
    expect(deliveries).toEqual([
      expect.objectContaining({ attempt: 0, outcome: "pending" }),
      expect.objectContaining({ attempt: 1, outcome: "accepted", detail: "endpoint answered HTTP 204" }),
    ]);
  });
});

describe("postWithRetries asks stillWanted before every attempt", () => {
  const policy = () => ({ delaysMs: [10, 10], timeoutMs: 2000, stopping: new AbortController().signal, abandon: new AbortController().signal });
  const target = () => ({ url: receiverUrl, secret: SECRET });
  const payload = {
    intervention_id: "int_races",
    user_id: "user-1",
    playbook_id: "pb",
    channel: "webhook",
    message_body: "hi",
    reasoning: "because",
    confidence: 0.5,
    metadata: { lifecycle_stage: "active", activation_score: 0.5, risk_level: "low" },
  };

  it("never sends what is no longer wanted before the first attempt", async () => {
    const end = await postWithRetries(target(), payload, "whd_races", policy(), async () => {}, async () => false);
    expect(end).toMatchObject({ outcome: "cancelled", attempt: 0, detail: expect.stringMatching(/before the first attempt/) });
    expect(posts).toBe(0);
  });

  it("sends when wanted", async () => {
    const end = await postWithRetries(target(), payload, "whd_races", policy(), async () => {}, async () => true);
    expect(end).toMatchObject({ outcome: "accepted", attempt: 1 });
    expect(posts).toBe(1);
  });
});
