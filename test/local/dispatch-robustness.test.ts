/**
 * The dispatcher when several processes share one SQLite file, and when it is
 * stopped mid-sequence: tenant isolation, single-owner resume of `sent` rows
 * and webhook retractions, and an interruptible backoff. A second dispatcher
 * on its own connection to the same file stands in for the second process; a
 * real loopback receiver checks every signature.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Dispatcher, type DispatcherOptions } from "../../src/backend/local/dispatch.js";
import { recordDelivery } from "../../src/store/ops/deliveries.js";
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf, inWriteTx } from "../support/sqlite.js";
import { silentLogger } from "../../src/log.js";
import { acceptEverything, startHarness, storedStatus, type Harness } from "../support/harness.js";

const SECRET = "whsec_robustness";
const LONG_AGO = () => new Date(Date.now() - 10 * 60_000).toISOString();

interface Received {
  interventionId: string;
  event: string | undefined;
}

let h: Harness;
let receiver: Server;
let receiverUrl: string;
let received: Received[] = [];
/** Answers the next N posts with 500. */
let failNext = 0;
/** The second process's connection to the same file. */
let otherStore: Store;
const others: Dispatcher[] = [];
const used = new Set<string>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const expected = createHmac("sha256", SECRET).update(raw).digest();
      const given = Buffer.from(String(req.headers["x-retivo-signature"] ?? ""), "hex");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return void res.writeHead(401).end();
      if (failNext > 0) {
        failNext--;
        return void res.writeHead(500).end();
      }
      const body = JSON.parse(raw.toString()) as { intervention_id: string; event?: string };
      received.push({ interventionId: body.intervention_id, event: body.event });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  h = await startHarness({ onElicit: acceptEverything, overrides: { dispatcher: { webhookRetryDelaysMs: [20, 20] } } });
  // The REST server's test data set in the same file, with a reachable endpoint: nothing may reach it from 'serve'.
  await ensureSeeded(h.runtime.store, "test", h.runtime.config.seed);
  await h.runtime.store.catalog.setWebhook("live", receiverUrl, SECRET);
  await h.runtime.store.catalog.setWebhook("test", receiverUrl, SECRET);
  otherStore = await openStore(h.runtime.config);
});

beforeEach(() => {
  received = [];
  failNext = 0;
});

afterEach(async () => {
  await Promise.all(others.splice(0).map((d) => d.stop()));
});

afterAll(async () => {
  await otherStore.close();
  await h.close();
  await new Promise((resolve) => receiver.close(resolve));
});

/** A dispatcher of a second process on the same file. */
function otherProcess(options: Partial<DispatcherOptions> = {}): Dispatcher {
  const dispatcher = new Dispatcher({
    store: otherStore,
    logger: silentLogger(),
    outboxDir: join(h.dir, "outbox"),
    tenants: ["live"],
    webhookRetryDelaysMs: [20, 20],
    ...options,
  });
  others.push(dispatcher);
  return dispatcher;
}

/**
 * Turns an unused seeded intervention of `tenant`, addressed to a reachable
 * user, into a webhook intervention in `status`, stamped `updatedAt`.
 */
function stage(tenant: string, status: "approved" | "sent" | "rolled_back", updatedAt = new Date().toISOString()): string {
  const candidates = dbOf(h.runtime)
    .prepare(
      `SELECT i.id FROM interventions i JOIN customers c ON c.tenant_id = i.tenant_id AND c.id = i.user_id
       WHERE i.tenant_id = ? AND i.status = 'delivered' AND c.opted_out = 0 AND c.paused = 0 ORDER BY i.seq`,
    )
    .all(tenant) as { id: string }[];
  const id = candidates.map((c) => c.id).find((candidate) => !used.has(candidate));
  if (!id) throw new Error(`no unused delivered intervention left in ${tenant}`);
  used.add(id);
  dbOf(h.runtime)
    .prepare("UPDATE interventions SET status = ?, channel = 'webhook', planned_at = ?, updated_at = ? WHERE id = ?")
    .run(status, new Date(Date.now() - 1000).toISOString(), updatedAt, id);
  return id;
}

/** A rolled-back webhook intervention whose retraction record says `outcome` as of `at`. */
async function unfinishedRetraction(tenant: string, outcome: string, at: string): Promise<string> {
  const id = stage(tenant, "rolled_back", at);
  const entry = { intervention_id: id, channel: "webhook", kind: "retraction", attempt: 1, outcome, detail: "staged" } as const;
  await inWriteTx(h.runtime.store, (tx) => recordDelivery(tx, entry, new Date(at)));
  return id;
}

/** Read straight from the file, so a wait can poll it. */
function outcomes(id: string, kind: "delivery" | "retraction"): string[] {
  return dbOf(h.runtime).prepare("SELECT outcome FROM deliveries WHERE intervention_id = ? AND kind = ? ORDER BY id").pluck().all(id, kind) as string[];
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("dispatcher tenant isolation", () => {
  it("a ['live'] dispatcher never touches the test data set, due, stale or retracting", async () => {
    const approved = stage("test", "approved");
    const staleSent = stage("test", "sent", LONG_AGO());
    const retraction = await unfinishedRetraction("test", "pending", LONG_AGO());
    // The `serve` process's dispatcher as runtime.ts builds it.
    await h.runtime.dispatcher!.runOnce();
    h.runtime.dispatcher!.retract(retraction);
    await h.runtime.dispatcher!.idle();
    expect(received).toEqual([]);
    expect(storedStatus(h.runtime, approved).status).toBe("approved");
    expect(storedStatus(h.runtime, staleSent).status).toBe("sent");
    expect(outcomes(staleSent, "delivery")).toEqual([]);
    expect(outcomes(retraction, "retraction")).toEqual(["pending"]);
  });

  it("the REST server's dispatcher (both tenants) only simulates the test data set", async () => {
    const approved = stage("test", "approved");
    await otherProcess({ tenants: ["live", "test"], simulate: (t) => t === "test" }).runOnce();
    expect(received).toEqual([]);
    expect(storedStatus(h.runtime, approved).status).toBe("delivered");
    expect(outcomes(approved, "delivery")).toEqual(["simulated"]);
  });
});

describe("dispatcher resume across processes", () => {
  it("a second process does not re-deliver a fresh `sent` row at start or on a tick, but resumes it once stale", async () => {
    const id = stage("live", "sent");
    const other = otherProcess({ intervalMs: 20 });
    other.start();
    await new Promise((resolve) => setTimeout(resolve, 150)); // several ticks
    expect(received).toEqual([]);
    expect(storedStatus(h.runtime, id).status).toBe("sent");

    // The owner died: its stamp ages past the resume window, and the live process's next tick takes the row over.
    dbOf(h.runtime).prepare("UPDATE interventions SET updated_at = ? WHERE id = ?").run(LONG_AGO(), id);
    await waitFor(() => storedStatus(h.runtime, id).status === "delivered");
    expect(received).toEqual([{ interventionId: id, event: undefined }]);
    // Staged without a delivery id (as before ids existed): the resume records the one it sends.
    expect(outcomes(id, "delivery")).toEqual(["pending", "accepted"]);
  });

  it("two processes resuming the same stale row: exactly one claim wins, one POST", async () => {
    const id = stage("live", "sent", LONG_AGO());
    const take = (store: Store, owner: string) => store.dispatch.takeAbandoned(["live"], new Date(), { owner, ms: 120_000 }, () => false);
    const [a, b] = await Promise.all([take(h.runtime.store, "a"), take(otherStore, "b")]);
    const claimed = [a, b].filter((taken) => taken.sent.some((row) => row.id === id));
    expect(claimed).toHaveLength(1);

    // The winner died without sending: its lease lapses, and one of the two live dispatchers takes the row over.
    dbOf(h.runtime).prepare("UPDATE delivery_leases SET expires_at = ? WHERE work_key = ?").run(LONG_AGO(), id);
    await Promise.all([h.runtime.dispatcher!.runOnce(), otherProcess().runOnce()]);
    expect(received.filter((r) => r.interventionId === id)).toHaveLength(1);
    expect(storedStatus(h.runtime, id).status).toBe("delivered");
  });
});

describe("dispatcher shutdown", () => {
  it("stop() during a backoff returns at once and leaves the row `sent`; a later dispatcher delivers it", async () => {
    const id = stage("live", "approved");
    const stopping = otherProcess({ webhookRetryDelaysMs: [20_000], webhookTimeoutMs: 2000 });
    failNext = 1;
    const run = stopping.runOnce();
    await waitFor(() => outcomes(id, "delivery").includes("retrying"));
    const started = Date.now();
    await stopping.stop();
    await run;
    expect(Date.now() - started).toBeLessThan(500);
    expect(storedStatus(h.runtime, id).status).toBe("sent");
    expect(outcomes(id, "delivery")).toEqual(["pending", "retrying", "interrupted"]);

    dbOf(h.runtime).prepare("UPDATE interventions SET updated_at = ? WHERE id = ?").run(LONG_AGO(), id);
    const next = otherProcess();
    next.start();
    await waitFor(() => storedStatus(h.runtime, id).status === "delivered");
    expect(received).toEqual([{ interventionId: id, event: undefined }]);
  });

  it("a live owner's heartbeat keeps its lease through a retry sequence longer than the lease: no takeover, one effect", async () => {
    const id = stage("live", "approved");
    const owner = otherProcess({ leaseMs: 300, webhookRetryDelaysMs: [1200], intervalMs: 50 });
    const watcher = new Dispatcher({ store: h.runtime.store, logger: silentLogger(), outboxDir: join(h.dir, "outbox"), tenants: ["live"], leaseMs: 300, intervalMs: 50 });
    others.push(watcher);
    failNext = 1;
    owner.start();
    await waitFor(() => outcomes(id, "delivery").includes("retrying"));
    // Four lease times of backoff, with another dispatcher polling every 50 ms for lapsed leases.
    watcher.start();
    await waitFor(() => storedStatus(h.runtime, id).status === "delivered", 5000);
    expect(received.filter((r) => r.interventionId === id)).toHaveLength(1);
    expect(outcomes(id, "delivery")).toEqual(["pending", "retrying", "accepted"]);
    // Given up once done.
    expect(dbOf(h.runtime).prepare("SELECT COUNT(*) FROM delivery_leases WHERE work_key = ?").pluck().get(id)).toBe(0);
  });
});

describe("webhook retractions", () => {
  it("a retraction refused once is retried and delivered, each attempt recorded", async () => {
    const id = stage("live", "approved");
    await h.runtime.dispatcher!.runOnce();
    expect(storedStatus(h.runtime, id).status).toBe("delivered");
    failNext = 1;
    await h.runtime.backend.rollback(id, "wrong audience", { actor: "test:operator" });
    await h.runtime.dispatcher!.idle();
    expect(received.filter((r) => r.event === "intervention.retracted")).toEqual([{ interventionId: id, event: "intervention.retracted" }]);
    expect(outcomes(id, "retraction")).toEqual(["pending", "retrying", "accepted"]);
  });

  it("resumes a stale pending retraction a crashed process left, but not a fresh one", async () => {
    const stale = await unfinishedRetraction("live", "pending", LONG_AGO());
    const staleRetrying = await unfinishedRetraction("live", "retrying", LONG_AGO());
    const fresh = await unfinishedRetraction("live", "pending", new Date().toISOString());
    await otherProcess().runOnce();
    const retracted = received.filter((r) => r.event === "intervention.retracted").map((r) => r.interventionId);
    expect(retracted.sort()).toEqual([stale, staleRetrying].sort());
    expect(outcomes(stale, "retraction")).toEqual(["pending", "pending", "accepted"]);
    expect(outcomes(staleRetrying, "retraction")).toEqual(["retrying", "pending", "accepted"]);
    expect(outcomes(fresh, "retraction")).toEqual(["pending"]);

    // Resolved ones are not sent again.
    await otherProcess().runOnce();
    expect(received.filter((r) => r.event === "intervention.retracted")).toHaveLength(2);
  });
});

describe("dispatcher and rollback racing", () => {
  it("a delivery rolled back during its backoff is not POSTed again, and stays rolled back", async () => {
    const id = stage("live", "approved");
    failNext = 1;
    const slow = otherProcess({ webhookRetryDelaysMs: [300, 300] });
    const run = slow.runOnce();
    await waitFor(() => outcomes(id, "delivery").includes("retrying"));
    await h.runtime.backend.rollback(id, "wrong audience", { actor: "test:operator" });
    await run;
    await h.runtime.dispatcher!.idle();
    expect(received.filter((r) => r.interventionId === id && r.event === undefined)).toEqual([]);
    expect(storedStatus(h.runtime, id).status).toBe("rolled_back");
    expect(outcomes(id, "delivery")).toEqual(["pending", "retrying", "cancelled"]);
  });
});
