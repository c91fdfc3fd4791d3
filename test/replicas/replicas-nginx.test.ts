/**
 * Three `serve --http` replicas on one PostgreSQL store behind a real nginx
 * running the shipped configuration (deploy/nginx/), driven by real MCP
 * clients through nginx: new sessions spread over the replicas, a session's
 * requests reach the replica that minted it, a mixed load of reads and writes
 * (list, get, dry-run, create, flag, pause, approve, rollback), an approval
 * requested through one replica decided by a human in the CLI and executed
 * once, and a kill -9 of one replica in the middle: its clients get 404 on
 * their session through nginx, re-initialise on a live replica and carry on,
 * nothing acknowledged is lost, and every delivery due before the kill goes
 * out within the delivery lease plus one poll. The audit chain verifies at
 * the end, and the webhook receiver sees no delivery's effect twice. Then a rolling restart: the
 * killed replica comes back, and SIGTERM on another drains it (readiness 503
 * first, its call in flight finishes, new sessions land on the others, its
 * clients re-initialise elsewhere).
 *
 * PostgreSQL: the real server when RETIVO_TEST_DATABASE_URL is set (a
 * database of its own, dropped after), else PGlite over a loopback socket.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { acceptEverything } from "../support/harness.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { runCliInPty, runCliPiped } from "../guard/helpers.js";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "../store/support/postgres.js";
import { HOW_TO_GET_NGINX, nginxBinary, startNginx, type RunningNginx } from "./support/nginx.js";
import { freePort } from "../support/ports.js";
import { queryOnce } from "./support/sql.js";
import { startReplica, type Replica } from "./support/replica.js";

const NGINX = nginxBinary();
if (!NGINX) console.warn(`replica tests skipped: ${HOW_TO_GET_NGINX}`);

const SECRET = "replicas-webhook-secret-0123456789";
const IDS = ["mcp-a", "mcp-b", "mcp-c"];
const LOAD_MS = 14_000;
const KILL_AT_MS = 4_000;

let database: PostgresTarget;
let dir: string;
let receiver: WebhookReceiver;
let replicas: Replica[] = [];
let nginx: RunningNginx | undefined;

function env(): Record<string, string> {
  return {
    HOME: dir,
    RETIVO_DATA_DIR: dir,
    RETIVO_DATABASE_URL: database.url,
    RETIVO_DATABASE_POOL_SIZE: "4",
    RETIVO_DELIVERY_LEASE_SECONDS: "2",
    RETIVO_LLM: "template",
    LOG_LEVEL: "error",
  };
}

const sql = <T>(text: string, values: unknown[] = []) => queryOnce<T>(database.url, text, values);

/** A real MCP client through nginx that re-initialises when its session is gone (404), as the spec asks. */
class Worker {
  client!: Client;
  /** The replica of each session this worker had, in order. */
  readonly replicasSeen: string[] = [];
  reinitialised = 0;
  calls = 0;
  readonly errors: string[] = [];
  constructor(
    private readonly url: string,
    private readonly name: string,
    readonly confirmsByForm: boolean,
    /** How long the scripted human takes to confirm in the form. */
    private readonly confirmAfterMs = 0,
  ) {}

  get replica(): string {
    return this.replicasSeen.at(-1)!;
  }

  async connect(): Promise<void> {
    const client = new Client({ name: this.name, version: "1.0.0" }, { capabilities: this.confirmsByForm ? { elicitation: { form: {} } } : {} });
    if (this.confirmsByForm) {
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        await new Promise((r) => setTimeout(r, this.confirmAfterMs));
        return acceptEverything(request);
      });
    }
    const transport = new StreamableHTTPClientTransport(new URL(`${this.url}/mcp`));
    await client.connect(transport);
    this.client = client;
    this.replicasSeen.push(transport.sessionId!.split(".")[0]!);
  }

  /**
   * The result, or undefined when the call was not acknowledged: its session
   * was gone (404: re-initialise, through nginx, on a live replica), or its
   * replica died under it (the stream ends without an answer: the SDK times
   * the call out).
   */
  async call(name: string, args: Record<string, unknown>): Promise<CallToolResult | undefined> {
    this.calls++;
    try {
      return (await this.client.callTool({ name, arguments: args }, undefined, { timeout: 10_000 + this.confirmAfterMs })) as CallToolResult;
    } catch (error) {
      this.errors.push(`${name}: ${(error as Error).message}`);
      if (error instanceof StreamableHTTPError && error.code === 404) {
        this.reinitialised++;
        await this.client.close().catch(() => {});
        await this.connect();
      }
      return undefined;
    }
  }
}

interface Ack {
  kind: "create" | "flag" | "pause" | "approve" | "rollback";
  id: string;
  /** When it was acknowledged. */
  at?: number;
  replica: string;
  reason?: string;
}

beforeAll(async () => {
  if (!NGINX) return;
  database = REAL_SERVER_URL ? await startRealServer(REAL_SERVER_URL) : await startPglite();
  dir = mkdtempSync(join(tmpdir(), "retivo-replicas-"));
  receiver = await startWebhookReceiver(SECRET);
  const seeded = await runCliPiped(["seed"], env());
  expect(seeded.code, seeded.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await nginx?.stop();
  for (const replica of replicas) {
    replica.kill9();
    await replica.exited;
  }
  await receiver?.close();
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!NGINX)("three replicas on one PostgreSQL store behind nginx", () => {
  it("spreads sessions, keeps each on its replica, survives kill -9 of one, and loses nothing acknowledged", async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    replicas = await Promise.all(IDS.map((id, i) => startReplica(id, ports[i]!, { ...env(), RETIVO_WEBHOOK_URL: receiver.url, RETIVO_WEBHOOK_SECRET: SECRET })));
    nginx = await startNginx(NGINX!, await freePort(), replicas.map((r) => ({ id: r.id, address: r.address })));
    expect(nginx.config).toMatch(/"~\^mcp-a\\\." retivo_mcp_replica_mcp-a;/);

    const [playbook] = await sql<{ id: string; constraints: string }>(
      "SELECT id, constraints FROM playbooks WHERE tenant_id = 'live' AND status = 'active' AND constraints LIKE '%webhook%' ORDER BY id LIMIT 1",
    );
    const users = (await sql<{ id: string }>("SELECT id FROM customers WHERE tenant_id = 'live' AND opted_out = 0 AND paused = 0 ORDER BY id LIMIT 60")).map((u) => u.id);
    expect(playbook).toBeDefined();
    const channel = (JSON.parse(playbook!.constraints) as { channels: string[] }).channels[0]!;

    // Nine sessions through nginx: round robin puts three on each replica.
    const workers = Array.from({ length: 9 }, (_, i) => new Worker(nginx!.url, `worker-${i}`, i < 6));
    for (const worker of workers) await worker.connect();
    const perReplica = Object.fromEntries(IDS.map((id) => [id, workers.filter((w) => w.replica === id).length]));
    expect(perReplica).toEqual({ "mcp-a": 3, "mcp-b": 3, "mcp-c": 3 });
    // A session's requests stay on the replica that minted it (any other would answer 404).
    for (const worker of workers) for (let i = 0; i < 3; i++) expect((await worker.call("list_interventions", { limit: 3 }))?.isError).toBeFalsy();
    expect(workers.every((w) => w.reinitialised === 0)).toBe(true);

    const acks: Ack[] = [];
    const victim = replicas[1]!;
    const started = Date.now();
    let killedAt = 0;
    const killer = (async () => {
      await new Promise((r) => setTimeout(r, KILL_AT_MS));
      killedAt = Date.now();
      victim.kill9();
      await victim.exited;
    })();

    // The human's approval: requested through mcp-a by a client that cannot confirm (no elicitation), decided in the CLI.
    const asker = workers.find((w) => w.replica === "mcp-a" && !w.confirmsByForm)!;
    const cliApproval = (async () => {
      const created = await asker.call("create_intervention", { user_id: users[0], playbook_id: playbook!.id, channel });
      const id = (created!.structuredContent as { id: string }).id;
      const pending = await asker.call("approve_intervention", { intervention_id: id });
      return { id, pending: pending!.structuredContent as { status: string; approval?: { approval_id: string; status: string } }, replica: asker.replica };
    })();
    const { id: humanId, pending, replica: askedOn } = await cliApproval;

    let u = 1;
    const lane = async (worker: Worker, n: number): Promise<void> => {
      /** This worker's approved webhook interventions, rolled back by the scripted human once delivered. */
      const approvedHere: string[] = [];
      for (let round = 0; Date.now() - started < LOAD_MS; round++) {
        const user = users[u++ % users.length]!;
        const earlier = approvedHere.at(0);
        if (earlier && round % 3 === 2) {
          const current = await worker.call("get_intervention", { intervention_id: earlier });
          if ((current?.structuredContent as { intervention?: { status: string } } | undefined)?.intervention?.status === "delivered") {
            approvedHere.shift();
            const rolled = await worker.call("rollback_intervention", { intervention_id: earlier, reason: `replica load rollback ${n}.${round}` });
            if (rolled && !rolled.isError && (rolled.structuredContent as { status: string }).status === "rolled_back") acks.push({ kind: "rollback", id: earlier, replica: worker.replica });
          }
        }
        await worker.call("list_interventions", { status: "planned", limit: 5 });
        await worker.call("dry_run_intervention", { user_id: user });
        const onChannel = worker.confirmsByForm && round % 2 === 0 ? "webhook" : channel;
        const created = await worker.call("create_intervention", { user_id: user, playbook_id: playbook!.id, channel: onChannel });
        if (!created || created.isError) continue;
        const id = (created.structuredContent as { id: string }).id;
        acks.push({ kind: "create", id, replica: worker.replica });
        if ((await worker.call("get_intervention", { intervention_id: id }))?.isError) throw new Error(`get of ${id} failed`);
        if (onChannel === "webhook") {
          // The scripted human confirms in the client's form: approved and executed, then the dispatcher delivers it.
          const approved = await worker.call("approve_intervention", { intervention_id: id });
          if (approved && !approved.isError && (approved.structuredContent as { status: string }).status === "approved") {
            acks.push({ kind: "approve", id, replica: worker.replica, at: Date.now() });
            approvedHere.push(id);
          }
        } else if (round % 2 === 1) {
          const reason = `replica load ${n}.${round}`;
          const flagged = await worker.call("flag_intervention", { intervention_id: id, reason });
          if (flagged && !flagged.isError) acks.push({ kind: "flag", id, replica: worker.replica, reason });
        } else {
          const paused = await worker.call("pause_intervention", { intervention_id: id });
          if (paused && !paused.isError) acks.push({ kind: "pause", id, replica: worker.replica });
        }
      }
    };
    const load = Promise.all(workers.map((w, n) => lane(w, n)));

    expect(pending).toMatchObject({ status: "planned", approval: { status: "pending_approval" } });
    const approvalId = pending.approval!.approval_id;
    const decided = await runCliInPty(`approvals approve ${approvalId}`, env(), [
      { expect: /Approve and release this message\? \[y\/N\] $/, send: "y\r" },
      { expect: /Note for the audit log \(optional\): $/, send: "approved while three replicas run\r" },
    ], 60_000);
    expect(decided.output).toMatch(new RegExp(`Released: ${humanId} is approved \\(by human:cli\\)`));
    expect(decided.code).toBe(0);

    await Promise.all([load, killer]);
    const orphans = workers.filter((w) => w.replicasSeen[0] === victim.id);
    for (const worker of orphans) {
      // A client whose call was in flight at the kill may have had no request since: its next one finds the session gone.
      if (worker.replica === victim.id) expect(await worker.call("list_interventions", { limit: 1 })).toBeUndefined();
      // Its session was gone (404 through nginx): it re-initialised on a live replica and works there.
      expect(worker.reinitialised, worker.errors.join("\n")).toBeGreaterThanOrEqual(1);
      expect(worker.replica).not.toBe(victim.id);
      const after = await worker.call("list_interventions", { limit: 1 });
      expect(after, `${worker.replicasSeen.join(" → ")}: ${worker.errors.join("; ")}`).toBeDefined();
      expect(after!.isError).toBeFalsy();
    }
    // The others never noticed: no error, no new session.
    for (const worker of workers.filter((w) => w.replicasSeen[0] !== victim.id)) expect([worker.replica, worker.errors, worker.reinitialised]).toEqual([worker.replicasSeen[0], [], 0]);
    const afterKill = acks.filter((a) => a.replica !== victim.id).length;
    expect(afterKill).toBeGreaterThan(0);
    expect(killedAt - started).toBeGreaterThan(0);

    // Every acknowledged write is in the store, and its audit event once.
    const audited = async (id: string, event: string) =>
      Number((await sql<{ n: string }>("SELECT COUNT(*) AS n FROM audit_log WHERE intervention_id = $1 AND event = $2", [id, event]))[0]!.n);
    let lost = 0;
    for (const ack of acks) {
      const [row] = await sql<{ status: string; flagged: number; review_flag_reason: string | null }>(
        "SELECT status, flagged, review_flag_reason FROM interventions WHERE id = $1",
        [ack.id],
      );
      const event = { create: "created", flag: "flagged", pause: "paused", approve: "approved", rollback: "rolled_back" }[ack.kind];
      const kept =
        row !== undefined &&
        (await audited(ack.id, event)) === 1 &&
        (ack.kind !== "pause" || row.status === "paused") &&
        (ack.kind !== "flag" || (row.flagged === 1 && row.review_flag_reason === ack.reason)) &&
        (ack.kind !== "approve" || ["approved", "sent", "delivered", "failed", "rolled_back"].includes(row.status)) &&
        (ack.kind !== "rollback" || row.status === "rolled_back");
      if (!kept) lost++;
    }
    expect(lost).toBe(0);

    // The CLI's approval was executed exactly once, whichever replica's release loop looked.
    expect(await audited(humanId, "approved")).toBe(1);
    expect(await audited(humanId, "approval_executed")).toBe(1);

    // Webhook deliveries: every approved webhook intervention delivered; none applied twice at the deduping receiver.
    const webhooks = acks.filter((a) => a.kind === "approve").map((a) => a.id);
    const deliveredIds = () => new Set(receiver.effects.map((e) => e.interventionId));
    // A delivery the killed replica had in flight is taken over by a live one once its lease (2 s here) lapses.
    const waitUntil = Date.now() + 20_000;
    while (webhooks.some((id) => !deliveredIds().has(id)) && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 200));
    const undelivered = webhooks.filter((id) => !deliveredIds().has(id));
    const idsPerIntervention = new Map<string, Set<string>>();
    for (const post of receiver.posts) {
      // A retraction has a delivery id of its own: one id per intervention and event.
      const key = `${String(post.body.intervention_id)}:${post.body.event ?? "delivery"}`;
      idsPerIntervention.set(key, (idsPerIntervention.get(key) ?? new Set()).add(String(post.deliveryId)));
    }
    const twoIds = [...idsPerIntervention.values()].filter((ids) => ids.size > 1).length;

    const audit = await runCliPiped(["audit", "verify"], env());
    // Each delivery approved before the kill went out by the lease (2 s) plus one poll (1 s) after the kill,
    // or after its approval if that was later; 2 s of slack for a loaded machine.
    const firstPost = (id: string) => Math.min(...receiver.posts.filter((p) => p.body.intervention_id === id && p.body.event === undefined).map((p) => p.at));
    const lateMs = acks
      .filter((a) => a.kind === "approve" && a.at! < killedAt)
      .map((a) => firstPost(a.id) - (Math.max(killedAt, a.at!) + 2000 + 1000));
    const rolledBack = acks.filter((a) => a.kind === "rollback").map((a) => a.id);
    const retractedIds = () => new Set(receiver.effects.filter((e) => e.event === "intervention.retracted").map((e) => e.interventionId));
    const retractUntil = Date.now() + 15_000;
    while (rolledBack.some((id) => !retractedIds().has(id)) && Date.now() < retractUntil) await new Promise((r) => setTimeout(r, 200));
    const counts = {
      replicas: replicas.length,
      sessions: workers.reduce((n, w) => n + w.replicasSeen.length, 0),
      calls: workers.reduce((n, w) => n + w.calls, 0),
      unacknowledged: workers.reduce((n, w) => n + w.errors.length, 0),
      reinitialised: workers.reduce((n, w) => n + w.reinitialised, 0),
      acknowledgedWrites: acks.length,
      lost,
      webhooksApproved: webhooks.length,
      rolledBack: rolledBack.length,
      dueBeforeKill: lateMs.length,
      worstDeliveryVsLeasePlusPollMs: Math.max(...lateMs),
      webhookPosts: receiver.posts.length,
      undelivered: undelivered.length,
      duplicateEffects: receiver.duplicateEffects(),
      deliveriesWithTwoIds: twoIds,
      askedOn,
    };
    console.warn(`replicas behind nginx: ${JSON.stringify(counts)}`);
    expect([audit.code, audit.stdout]).toEqual([0, expect.stringMatching(/Audit chain intact/)]);
    expect(receiver.duplicateEffects()).toBe(0);
    expect(twoIds).toBe(0);
    expect(undelivered).toEqual([]);
    expect(lateMs.length).toBeGreaterThan(0);
    expect(lateMs.filter((ms) => ms > 2000), "deliveries later than lease + one poll (+2 s) after the kill").toEqual([]);
    // Every acknowledged rollback's retraction reached the receiver (deduped above with the deliveries).
    expect(rolledBack.length).toBeGreaterThan(0);
    expect(rolledBack.filter((id) => !retractedIds().has(id))).toEqual([]);
  }, 180_000);

  it("drains a replica on SIGTERM: readiness 503 first, its call in flight finishes, new sessions go to the others", async () => {
    // A request for one of the dead replica's sessions just before it comes back: nginx finds it
    // refusing connections, and the backup answers 404. The replica's new sessions must not inherit that.
    const stale = await fetch(`${nginx!.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": "mcp-b.00000000-0000-4000-8000-000000000000" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(stale.status).toBe(404);
    // The replica killed above comes back on its port at once, as a rolling restart would bring it.
    const restarted = replicas.findIndex((r) => r.id === "mcp-b");
    replicas[restarted] = await startReplica("mcp-b", replicas[restarted]!.port, { ...env(), RETIVO_WEBHOOK_URL: receiver.url, RETIVO_WEBHOOK_SECRET: SECRET });
    const [playbook] = await sql<{ id: string }>("SELECT id FROM playbooks WHERE tenant_id = 'live' AND status = 'active' AND constraints LIKE '%webhook%' ORDER BY id LIMIT 1");
    const [user] = await sql<{ id: string }>("SELECT id FROM customers WHERE tenant_id = 'live' AND opted_out = 0 AND paused = 0 ORDER BY id DESC LIMIT 1");
    const draining = replicas.find((r) => r.id === "mcp-c")!;

    // A session on mcp-c whose human takes 2 s to confirm: its approval is in flight when SIGTERM lands.
    let slow: Worker | undefined;
    for (let i = 0; i < 6 && !slow; i++) {
      const candidate = new Worker(nginx!.url, `rollout-${i}`, true, 2_000);
      await candidate.connect();
      if (candidate.replica === draining.id) slow = candidate;
      else await candidate.client.close();
    }
    expect(slow, "round robin reaches mcp-c within six sessions").toBeDefined();
    const created = await slow!.call("create_intervention", { user_id: user!.id, playbook_id: playbook!.id, channel: "webhook" });
    const id = (created!.structuredContent as { id: string }).id;
    let settled = false;
    const inFlight = slow!.call("approve_intervention", { intervention_id: id }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    draining.signal("SIGTERM");

    // Readiness turns 503 as soon as the signal is handled, while the call is still waiting on its human.
    let probe = await fetch(`http://${draining.address}/readyz`);
    for (let i = 0; i < 40 && probe.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      probe = await fetch(`http://${draining.address}/readyz`);
    }
    expect([probe.status, await probe.json()]).toEqual([503, { status: "unavailable", reason: "shutting down" }]);
    expect(settled, "the call was still in flight when readiness turned").toBe(false);
    // New sessions through nginx keep working, on the other replicas.
    const fresh = Array.from({ length: 6 }, (_, i) => new Worker(nginx!.url, `fresh-${i}`, false));
    for (const worker of fresh) {
      await worker.connect();
      expect((await worker.call("list_interventions", { limit: 2 }))?.isError).toBeFalsy();
    }
    expect(new Set(fresh.map((w) => w.replica))).toEqual(new Set(["mcp-a", "mcp-b"]));
    expect(fresh.every((w) => w.errors.length === 0)).toBe(true);

    // The call in flight finishes (the human's answer still reaches the draining replica), then it exits cleanly.
    expect((await inFlight)?.structuredContent).toMatchObject({ id, status: "approved" });
    expect(await draining.exited).toBe(0);
    // Its session is closed: the next call is 404 through nginx, and the client goes on elsewhere.
    expect(await slow!.call("get_intervention", { intervention_id: id })).toBeUndefined();
    expect(slow!.reinitialised).toBe(1);
    expect(slow!.replica).not.toBe(draining.id);
    expect((await slow!.call("get_intervention", { intervention_id: id }))?.isError).toBeFalsy();
    for (const worker of [...fresh, slow!]) await worker.client.close();
  }, 90_000);
});
