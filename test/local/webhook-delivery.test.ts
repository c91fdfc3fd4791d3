/**
 * What a webhook receiver can rely on: one delivery id per intervention and
 * kind (the retraction has its own), sent as X-Retivo-Delivery and
 * Idempotency-Key and inside the signed body with a fresh timestamp on every
 * attempt and every resume; an attempt whose answer was lost is recorded as
 * unknown (never as failed) and retried with the same id; and a graceful stop
 * waits, bounded, for a POST in flight and records what became of it.
 * A real dispatcher on a real SQLite file, against a loopback receiver that
 * dedupes by delivery id as the README asks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Dispatcher, type DispatcherOptions } from "../../src/backend/local/dispatch.js";
import { LocalBackend } from "../../src/backend/local/index.js";
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf, inWriteTx, type SqliteDb as Db } from "../support/sqlite.js";
import { recordDelivery } from "../../src/store/ops/deliveries.js";
import { silentLogger } from "../../src/log.js";
import { createWriter } from "../../src/writer/index.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { dueIntervention } from "./support/due.js";
import { until } from "../support/wait.js";

const SECRET = "whsec_delivery_ids_0123456789";
const LONG_AGO = () => new Date(Date.now() - 10 * 60_000).toISOString();

let receiver: WebhookReceiver;
let dir: string;
let store: Store;
let db: Db;
let backend: LocalBackend;
const dispatchers: Dispatcher[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET);
});
afterAll(async () => receiver.close());

beforeEach(async () => {
  receiver.posts.length = 0;
  receiver.effects.length = 0;
  receiver.answer(() => ({ status: 204 }));
  dir = mkdtempSync(join(tmpdir(), "retivo-delivery-"));
  store = await openStore({ dbPath: join(dir, "store.db") });
  db = dbOf(store);
  await ensureSeeded(store, "live", 42);
  await store.catalog.setWebhook("live", receiver.url, SECRET);
  db.prepare("UPDATE tenants SET kill_switch_active = 0, shadow_mode = 0 WHERE id = 'live'").run();
  backend = new LocalBackend({
    store,
    tenantId: "live",
    writer: createWriter({ provider: "template", openaiApiKey: undefined, openaiBaseUrl: undefined, model: "x", timeoutMs: 1000, judge: false }, silentLogger()),
    logger: silentLogger(),
    onRolledBack: (intervention) => dispatchers[0]?.retract(intervention.id),
  });
});

afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function dispatcher(options: Partial<DispatcherOptions> = {}): Dispatcher {
  const made = new Dispatcher({ store, logger: silentLogger(), outboxDir: join(dir, "outbox"), tenants: ["live"], webhookRetryDelaysMs: [20, 20], ...options });
  dispatchers.push(made);
  return made;
}

const dueWebhook = () => dueIntervention(db, "webhook");

const status = (id: string) => db.prepare("SELECT status FROM interventions WHERE id = ?").pluck().get(id) as string;
const outcomes = (id: string, kind = "delivery") => db.prepare("SELECT outcome FROM deliveries WHERE intervention_id = ? AND kind = ? ORDER BY id").pluck().all(id, kind) as string[];
const ageStamp = (id: string) => db.prepare("UPDATE interventions SET updated_at = ? WHERE id = ?").run(LONG_AGO(), id);


describe("delivery ids and signed timestamps", () => {
  it("every attempt carries one delivery id, in both headers and the signed body, with a fresh signed timestamp", async () => {
    const id = dueWebhook();
    let failures = 2;
    receiver.answer(() => (failures-- > 0 ? { status: 500 } : { status: 204 }));
    await dispatcher().runOnce();
    expect(status(id)).toBe("delivered");
    expect(receiver.posts).toHaveLength(3);
    const [first] = receiver.posts;
    expect(first!.deliveryId).toMatch(/^whd_[a-z0-9]{24}$/);
    for (const post of receiver.posts) {
      expect(post.signatureValid).toBe(true);
      expect(post).toMatchObject({ deliveryId: first!.deliveryId, idempotencyKey: first!.deliveryId });
      expect(post.body).toMatchObject({ intervention_id: id, delivery_id: first!.deliveryId });
      expect(post.timestampHeader).toBe(post.body.timestamp);
      expect(Math.abs(Date.parse(post.body.timestamp!) - post.at)).toBeLessThan(2000);
    }
    expect(new Set(receiver.posts.map((p) => p.body.timestamp)).size).toBe(3);
    expect(receiver.effects).toHaveLength(1);
    expect(outcomes(id)).toEqual(["pending", "retrying", "retrying", "accepted"]);
    expect((await store.deliveries.of(id)).every((d) => d.delivery_id === first!.deliveryId)).toBe(true);
  });

  it("the retraction has its own id", async () => {
    const id = dueWebhook();
    await dispatcher().runOnce();
    await backend.rollback(id, "wrong audience", { actor: "test:operator" });
    await dispatchers[0]!.idle();
    const [delivery, retraction] = receiver.posts;
    expect(retraction!.body).toMatchObject({ intervention_id: id, event: "intervention.retracted" });
    expect(retraction!.deliveryId).toMatch(/^whd_/);
    expect(retraction!.deliveryId).not.toBe(delivery!.deliveryId);
    expect(receiver.effects.map((e) => e.event)).toEqual(["intervention.delivered", "intervention.retracted"]);
  });

  it("a retraction whose first POST fails is retried with the id the rollback recorded, and takes effect once", async () => {
    const id = dueWebhook();
    await dispatcher().runOnce();
    let failures = 1;
    receiver.answer((post) => (post.body.event === "intervention.retracted" && failures-- > 0 ? { status: 503 } : { status: 204 }));
    await backend.rollback(id, "wrong audience", { actor: "test:operator" });
    // Recorded by the rollback itself, in its transaction: the id every attempt and any resume reuses.
    const [queued] = (await store.deliveries.of(id)).filter((d) => d.kind === "retraction");
    expect(queued).toMatchObject({ channel: "webhook", attempt: 1, delivery_id: expect.stringMatching(/^whd_[a-z0-9]{24}$/) });
    expect(queued!.detail).toBe(`signed retraction event queued for the webhook endpoint (delivery ${queued!.delivery_id})`);
    await dispatchers[0]!.idle();
    const retractions = receiver.posts.filter((p) => p.body.event === "intervention.retracted");
    expect(retractions.map((p) => p.deliveryId)).toEqual([queued!.delivery_id, queued!.delivery_id]);
    expect(retractions.every((p) => p.signatureValid && p.idempotencyKey === queued!.delivery_id)).toBe(true);
    expect(outcomes(id, "retraction")).toEqual(["pending", "retrying", "accepted"]);
    expect(receiver.effects.map((e) => e.event)).toEqual(["intervention.delivered", "intervention.retracted"]);
  });
});

describe("an answer that never comes", () => {
  it("is unknown, retried with the same id, and ends unconfirmed: the row stays sent (never failed) and says so", async () => {
    const id = dueWebhook();
    receiver.answer(() => ({ delayMs: 800 }));
    await dispatcher({ webhookTimeoutMs: 150 }).runOnce();
    expect(receiver.posts).toHaveLength(3);
    expect(new Set(receiver.posts.map((p) => p.deliveryId)).size).toBe(1);
    expect(receiver.effects).toHaveLength(1);
    expect(outcomes(id)).toEqual(["pending", "unknown", "unknown", "unconfirmed"]);
    expect(status(id)).toBe("sent");
    const intervention = await backend.get(id);
    expect(intervention).toMatchObject({ status: "sent", delivery_outcome: "unknown" });

    // Final: a later dispatcher does not send it again, however old its stamp.
    ageStamp(id);
    await dispatcher().runOnce();
    expect(receiver.posts).toHaveLength(3);
  });

  it("a connection that is refused is not unknown: retried, then failed", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    await store.catalog.setWebhook("live", `http://127.0.0.1:${port}/hooks`, SECRET);
    const id = dueWebhook();
    await dispatcher().runOnce();
    expect(outcomes(id)).toEqual(["pending", "retrying", "retrying", "error"]);
    expect(status(id)).toBe("failed");
    expect(await backend.get(id)).toMatchObject({ delivery_outcome: "failed" });
  });

  it("a connection cut after the request was sent is unknown, and the retry carries the same id", async () => {
    const id = dueWebhook();
    let drops = 1;
    receiver.answer(() => (drops-- > 0 ? { drop: true } : { status: 204 }));
    await dispatcher().runOnce();
    expect(outcomes(id)).toEqual(["pending", "unknown", "accepted"]);
    expect(receiver.posts.map((p) => p.deliveryId)).toEqual([receiver.posts[0]!.deliveryId, receiver.posts[0]!.deliveryId]);
    expect(receiver.effects).toHaveLength(1);
    expect(status(id)).toBe("delivered");
  });
});

describe("a graceful stop", () => {
  it("waits for a POST in flight and records its outcome, so nothing is resumed into a second POST", async () => {
    const id = dueWebhook();
    receiver.answer(() => ({ delayMs: 400, status: 204 }));
    const first = dispatcher();
    const run = first.runOnce();
    await until(() => receiver.posts.length === 1);
    await first.stop();
    await run;
    expect(status(id)).toBe("delivered");
    expect(outcomes(id)).toEqual(["pending", "accepted"]);
    ageStamp(id);
    await dispatcher().runOnce();
    expect(receiver.posts).toHaveLength(1);
  });

  it("waits a bounded time: a POST that outlasts it is left for a resume, which carries the same id", async () => {
    const id = dueWebhook();
    receiver.answer(() => ({ delayMs: 3000, status: 204 }));
    const first = dispatcher({ webhookTimeoutMs: 2500, stopGraceMs: 200 });
    const run = first.runOnce();
    await until(() => receiver.posts.length === 1);
    const started = Date.now();
    await first.stop();
    await run;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(status(id)).toBe("sent");
    expect(outcomes(id)).toEqual(["pending", "interrupted"]);
    expect((await store.deliveries.of(id)).at(-1)!.detail).toMatch(/outcome unknown/);

    receiver.answer(() => ({ status: 204 }));
    ageStamp(id);
    await dispatcher().runOnce();
    expect(status(id)).toBe("delivered");
    expect(receiver.posts.map((p) => p.deliveryId)).toEqual([receiver.posts[0]!.deliveryId, receiver.posts[0]!.deliveryId]);
    expect(receiver.effects).toHaveLength(1);
  });
});

describe("a resume after a crash", () => {
  it("sends the delivery id that was stored before the crash", async () => {
    const id = dueWebhook();
    db.prepare("UPDATE interventions SET status = 'sent', sent_at = ?, updated_at = ? WHERE id = ?").run(LONG_AGO(), LONG_AGO(), id);
    const staged = { intervention_id: id, channel: "webhook", kind: "delivery", attempt: 0, outcome: "pending", detail: "staged", delivery_id: "whd_storedbeforethecrash0000" } as const;
    await inWriteTx(store, (tx) => recordDelivery(tx, staged, new Date(LONG_AGO())));
    await dispatcher().runOnce();
    expect(status(id)).toBe("delivered");
    expect(receiver.posts.map((p) => p.deliveryId)).toEqual(["whd_storedbeforethecrash0000"]);
  });
});
