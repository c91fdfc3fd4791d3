/**
 * What two `serve --http` replicas on one PostgreSQL store behind the shipped
 * nginx configuration share, proven with real processes: an approval link
 * minted by one names the public base URL and is served, and decided, by the
 * other; two replicas racing to approve and to roll back the same
 * interventions make each transition once, and the loser is told; and a
 * kill -9 of the replica whose webhook POST is in flight hands the delivery,
 * with the same delivery id, to the other within the lease time and one poll,
 * so the deduping receiver applies it once.
 *
 * PostgreSQL: the real server when RETIVO_TEST_DATABASE_URL is set (a
 * database of its own, dropped after), else PGlite over a loopback socket.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { runCliPiped } from "../guard/helpers.js";
import { REAL_SERVER_URL, startPglite, startRealServer, type PostgresTarget } from "../store/support/postgres.js";
import { HOW_TO_GET_NGINX, nginxBinary, startNginx, type RunningNginx } from "./support/nginx.js";
import { decideOnPage, formFields, openLink } from "./support/page-client.js";
import { freePort } from "../support/ports.js";
import { queryOnce } from "./support/sql.js";
import { startReplica, type Replica } from "./support/replica.js";
import { sessionOn, textOf, type Session } from "./support/session.js";

const NGINX = nginxBinary();
if (!NGINX) console.warn(`replica sharing tests skipped: ${HOW_TO_GET_NGINX}`);

const SECRET = "replicas-shared-secret-0123456789";
const LEASE_MS = 2000;
/** The dispatcher's poll interval (its default). */
const POLL_MS = 1000;

let database: PostgresTarget;
let dir: string;
let receiver: WebhookReceiver;
let replicas: Replica[] = [];
let nginx: RunningNginx | undefined;
let publicUrl: string;
const sessions: Session[] = [];

function env(): Record<string, string> {
  return {
    HOME: dir,
    RETIVO_DATA_DIR: dir,
    RETIVO_DATABASE_URL: database.url,
    RETIVO_DATABASE_POOL_SIZE: "4",
    RETIVO_LLM: "template",
    LOG_LEVEL: "error",
  };
}

const sql = <T>(text: string, values: unknown[] = []) => queryOnce<T>(database.url, text, values);

const audited = async (id: string, event: string) =>
  Number((await sql<{ n: string }>("SELECT COUNT(*) AS n FROM audit_log WHERE intervention_id = $1 AND event = $2", [id, event]))[0]!.n);

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function session(replica: string, human: "form" | "url"): Promise<Session> {
  const opened = await sessionOn(nginx!.url, replica, human);
  sessions.push(opened);
  return opened;
}

let playbookId: string;
let users: string[];
let nextUser = 0;

async function created(on: Session, channel: string): Promise<string> {
  const result = await on.call("create_intervention", { user_id: users[nextUser++ % users.length], playbook_id: playbookId, channel });
  expect(result.isError, textOf(result)).toBeFalsy();
  return (result.structuredContent as { id: string }).id;
}

const statusOf = async (id: string) => (await sql<{ status: string }>("SELECT status FROM interventions WHERE id = $1", [id]))[0]!.status;

beforeAll(async () => {
  if (!NGINX) return;
  database = REAL_SERVER_URL ? await startRealServer(REAL_SERVER_URL) : await startPglite();
  dir = mkdtempSync(join(tmpdir(), "retivo-replicas-shared-"));
  receiver = await startWebhookReceiver(SECRET);
  const seeded = await runCliPiped(["seed"], env());
  expect(seeded.code, seeded.stderr).toBe(0);
  const nginxPort = await freePort();
  // TLS ends in front of nginx in a real deployment; the links name that public address.
  publicUrl = `https://approvals.test:${nginxPort}`;
  const ports = [await freePort(), await freePort()];
  replicas = await Promise.all(
    ["mcp-a", "mcp-b"].map((id, i) =>
      startReplica(id, ports[i]!, {
        ...env(),
        RETIVO_PUBLIC_URL: publicUrl,
        RETIVO_DELIVERY_LEASE_SECONDS: String(LEASE_MS / 1000),
        RETIVO_WEBHOOK_URL: receiver.url,
        RETIVO_WEBHOOK_SECRET: SECRET,
      }),
    ),
  );
  nginx = await startNginx(NGINX, nginxPort, replicas.map((r) => ({ id: r.id, address: r.address })));
  const [playbook] = await sql<{ id: string }>(
    "SELECT id FROM playbooks WHERE tenant_id = 'live' AND status = 'active' AND constraints LIKE '%webhook%' ORDER BY id LIMIT 1",
  );
  playbookId = playbook!.id;
  users = (await sql<{ id: string }>("SELECT id FROM customers WHERE tenant_id = 'live' AND opted_out = 0 AND paused = 0 ORDER BY id LIMIT 40")).map((u) => u.id);
}, 120_000);

afterAll(async () => {
  for (const opened of sessions) await opened.close().catch(() => {});
  await nginx?.stop();
  for (const replica of replicas) {
    replica.kill9();
    await replica.exited;
  }
  await receiver?.close();
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!NGINX)("two replicas share approvals, transitions and deliveries", () => {
  it("an approval link minted on one replica names the public URL and is served and decided by the other, through nginx", async () => {
    const asker = await session("mcp-a", "url");
    const id = await created(asker, "in_app");
    const call = asker.call("approve_intervention", { intervention_id: id });
    const link = await until("the approval link", () => asker.urls[0]);
    expect(link.startsWith(`${publicUrl}/approvals/apr_`), link).toBe(true);

    // Every replica serves it: the page's token comes from the shared store, not the replica that minted it.
    const servedBy = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const page = await openLink(nginx!.url, link);
      expect(page.status, page.html).toBe(200);
      servedBy.add(page.replica);
    }
    expect(servedBy).toEqual(new Set(["mcp-a", "mcp-b"]));
    // A Host that is neither loopback nor the public one is refused, and changes nothing.
    expect((await openLink(nginx!.url, link.replace("approvals.test", "elsewhere.test"))).status).toBe(403);

    // Round robin: once a GET was answered by mcp-a, the next request goes to mcp-b, which decides it.
    let page = await openLink(nginx!.url, link);
    while (page.replica !== "mcp-a") page = await openLink(nginx!.url, link);
    const decided = await decideOnPage(nginx!.url, link, formFields(page.html), "approve");
    expect([decided.status, decided.replica], decided.html).toEqual([200, "mcp-b"]);
    expect(decided.html).toMatch(/Released/);

    // The call waiting on mcp-a sees the answer given on mcp-b; the intervention was approved once.
    const result = await call;
    expect(result.structuredContent, textOf(result)).toMatchObject({ id, status: "approved" });
    expect([await audited(id, "approved"), await audited(id, "approval_executed")]).toEqual([1, 1]);
  }, 60_000);

  it("two agents on two replicas approving the same intervention at once: approved once, each told how (executed, already approved, or changed under it)", async () => {
    const [onA, onB] = [await session("mcp-a", "form"), await session("mcp-b", "form")];
    const answers: string[] = [];
    for (let round = 0; round < 3; round++) {
      const id = await created(onA, "in_app");
      const raced = await Promise.all([onA.call("approve_intervention", { intervention_id: id }), onB.call("approve_intervention", { intervention_id: id })]);
      const texts = raced.map(textOf);
      answers.push(...texts);
      // Both asked at once: they found one request (both report its one execution), or each made one and
      // the second found the intervention approved (already) or changed under it (refused, nothing changed).
      const kinds = raced.map((r) => {
        const text = textOf(r);
        if (!r.isError && /approved by \S+ \(approval apr_[\w-]+\) and executed\.$/.test(text)) return "executed";
        if (!r.isError && /is already approved \(another approval or an operator got there first\)/.test(text)) return "already";
        if (r.isError && /changed while this action ran|changed since/.test(text)) return "refused";
        return `unclear: ${text}`;
      });
      expect(kinds.filter((k) => k.startsWith("unclear")), texts.join("\n")).toEqual([]);
      expect(kinds, texts.join("\n")).toContain("executed");
      const executedBy = new Set(raced.filter((_, i) => kinds[i] === "executed").map((r) => /\(approval (apr_[\w-]+)\)/.exec(textOf(r))?.[1]));
      expect(executedBy.size, texts.join("\n")).toBe(1);
      expect([await audited(id, "approved"), await audited(id, "approval_executed")]).toEqual([1, 1]);
    }
    console.warn(`agents racing on two replicas were told:\n${answers.join("\n")}`);
  }, 60_000);

  it("two humans deciding the same request at once on the pages of two replicas: it executes once, the loser is told it was already decided", async () => {
    const asker = await session("mcp-a", "url");
    const race = async (link: string) => {
      const { html } = await openLink(nginx!.url, link);
      const fields = formFields(html);
      // Two POSTs at once through nginx: round robin sends one to each replica.
      const answers = await Promise.all([decideOnPage(nginx!.url, link, fields, "approve"), decideOnPage(nginx!.url, link, fields, "approve")]);
      expect(new Set(answers.map((a) => a.replica))).toEqual(new Set(["mcp-a", "mcp-b"]));
      const won = answers.filter((a) => a.status === 200);
      const lost = answers.filter((a) => a.status !== 200);
      expect(won, answers.map((a) => `${a.status} ${a.replica} ${a.html.replace(/<style>[^]*<\/style>/, "")}`).join(", ")).toHaveLength(1);
      expect(lost.map((a) => a.status)).toEqual([409]);
      expect(lost[0]!.html).toMatch(/Already decided|already (approved|executed)/);
      return won[0]!;
    };
    /** The guarded call, waiting while the humans race on the link it handed out; what it finally says. */
    const decidedByRace = async (tool: string, args: Record<string, unknown>, outcome: RegExp) => {
      const seen = asker.urls.length;
      const call = asker.call(tool, args);
      const link = await until("the approval link", () => asker.urls[seen]);
      expect((await race(link)).html).toMatch(outcome);
      const result = await call;
      expect(result.isError, textOf(result)).toBeFalsy();
      return result;
    };
    for (let round = 0; round < 2; round++) {
      const id = await created(asker, "webhook");
      expect((await decidedByRace("approve_intervention", { intervention_id: id }, /Released/)).structuredContent).toMatchObject({ id, status: "approved" });
      expect([await audited(id, "approved"), await audited(id, "approval_executed")]).toEqual([1, 1]);

      await until(`${id} delivered`, async () => ((await statusOf(id)) === "delivered" ? true : undefined));
      await decidedByRace("rollback_intervention", { intervention_id: id, reason: "wrong audience" }, /Rolled back/);
      expect(await statusOf(id)).toBe("rolled_back");
      expect(await audited(id, "rolled_back")).toBe(1);
      // The agent's next call only reports the one outcome.
      expect(textOf(await asker.call("rollback_intervention", { intervention_id: id, reason: "again" }))).toMatch(/is rolled_back: approved by human:page/);
      // One retraction reaches the receiver, applied once.
      await until(`${id} retracted`, () => receiver.effects.find((e) => e.interventionId === id && e.event === "intervention.retracted"));
    }
    expect(receiver.duplicateEffects()).toBe(0);
  }, 90_000);

  it("kill -9 of the replica whose webhook POST is in flight: the other takes it over with the same delivery id within lease + one poll", async () => {
    const asker = await session("mcp-a", "form");
    const id = await created(asker, "webhook");
    // The first POST is received (its effect applied) but never answered: the sender is killed while it waits.
    receiver.answer((post) => (post.body.intervention_id === id && receiver.posts.filter((p) => p.body.intervention_id === id).length === 1 ? { delayMs: 60_000 } : { status: 204 }));
    const approved = await asker.call("approve_intervention", { intervention_id: id });
    expect(approved.structuredContent, textOf(approved)).toMatchObject({ status: "approved" });

    const first = await until("the first POST", () => receiver.posts.find((p) => p.body.intervention_id === id));
    const [lease] = await sql<{ owner: string }>("SELECT owner FROM delivery_leases WHERE work_key = $1", [id]);
    const ownerPid = Number(lease!.owner.split(":")[1]);
    const victim = replicas.find((r) => r.pid === ownerPid)!;
    expect(victim, `lease owner ${lease!.owner}`).toBeDefined();
    const killedAt = Date.now();
    victim.kill9();
    await victim.exited;

    const second = await until("the takeover POST", () => receiver.posts.filter((p) => p.body.intervention_id === id)[1], 20_000);
    const takeoverMs = second.at - killedAt;
    await until(`${id} delivered`, async () => ((await statusOf(id)) === "delivered" ? true : undefined));
    const [taker] = await sql<{ n: string }>("SELECT COUNT(*) AS n FROM delivery_leases WHERE work_key = $1", [id]);
    console.warn(`delivery takeover after kill -9: ${JSON.stringify({ victim: victim.id, leaseMs: LEASE_MS, pollMs: POLL_MS, takeoverMs, firstPostToKillMs: killedAt - first.at })}`);
    expect(second.deliveryId).toBe(first.deliveryId);
    expect(receiver.effects.filter((e) => e.interventionId === id)).toHaveLength(1);
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + POLL_MS + 500);
    // The taker gave its lease up once the delivery was recorded.
    expect(Number(taker!.n)).toBe(0);
  }, 60_000);
});
