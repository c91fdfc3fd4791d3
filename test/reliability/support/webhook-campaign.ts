/**
 * Fault campaigns against the built server's webhook deliveries, shared by the
 * fast suite (test/reliability/webhook-campaign.test.ts) and the long one
 * (`npm run bench -- reliability`). Each round starts `serve` on one store,
 * plans and approves webhook interventions through a real MCP client (a human
 * confirms every form), lets the dispatcher POST them to a slow receiver that
 * dedupes by delivery id, and ends the process: kill -9 at a random moment
 * with POSTs in flight, or a graceful stop (stdin EOF or SIGTERM). Between
 * rounds the claim stamps are aged, standing in for the 120 s after which a
 * live process resumes a dead one's work. A last process finishes everything.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import type { WebhookReceiver } from "../../support/webhook-receiver.js";
import { spawnServer, type Spawned } from "./spawned.js";

export const CAMPAIGN_SECRET = "whsec_campaign_0123456789abcdef";

export interface CampaignCounts {
  rounds: number;
  /** Webhook interventions whose approval a client saw acknowledged. */
  approved: number;
  posts: number;
  /** POSTs that repeated a delivery id already sent: harmless to a receiver that dedupes. */
  repeatedPosts: number;
  /** Effects beyond one per intervention and event at the deduping receiver. Target 0. */
  duplicateEffects: number;
  /** Interventions whose delivery reached the receiver under two different ids. Target 0. */
  deliveriesWithTwoIds: number;
  /** Acknowledged creates and approvals the store no longer shows. Target 0. */
  lostAcknowledged: number;
  /** Acknowledged webhook interventions still unfinished after the last process ran. */
  unfinished: number;
  /** Graceful stops that did not exit 0 within 15 s. */
  wedged: number;
  /** Slowest graceful stop, signal or EOF to exit. */
  slowestStopMs: number;
}

interface Fixtures {
  playbookId: string;
  users: string[];
}

function readFixtures(dir: string): Fixtures {
  const db = new Database(join(dir, "retivo.db"), { readonly: true, fileMustExist: true });
  try {
    const playbooks = db.prepare("SELECT id, constraints FROM playbooks WHERE tenant_id = 'live' AND status = 'active'").all() as { id: string; constraints: string }[];
    const webhook = playbooks.find((p) => (JSON.parse(p.constraints) as { channels: string[] }).channels.includes("webhook"));
    if (!webhook) throw new Error("no active playbook allows webhooks");
    const users = db.prepare("SELECT id FROM customers WHERE tenant_id = 'live' AND opted_out = 0 AND paused = 0 ORDER BY id LIMIT 40").pluck().all() as string[];
    return { playbookId: webhook.id, users };
  } finally {
    db.close();
  }
}

/** What the dead process's claims would look like 10 minutes on. */
function ageClaims(dir: string): void {
  const db = new Database(join(dir, "retivo.db"));
  try {
    db.prepare("UPDATE interventions SET updated_at = ? WHERE status = 'sent'").run(new Date(Date.now() - 10 * 60_000).toISOString());
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** A killed process's deliveries wait for its lease to lapse: a short one keeps each round within seconds. */
const LEASE_SECONDS = "3";

function serve(dir: string, receiver: WebhookReceiver): Promise<Spawned> {
  return spawnServer(dir, {
    confirmApprovals: true,
    env: { RETIVO_WEBHOOK_URL: receiver.url, RETIVO_WEBHOOK_SECRET: CAMPAIGN_SECRET, RETIVO_DELIVERY_LEASE_SECONDS: LEASE_SECONDS },
  });
}

/** What a client saw acknowledged: creates, and approvals of those. */
interface Acknowledged {
  created: string[];
  approved: string[];
}

/** Plans and approves `count` webhook interventions, recording every acknowledgement. */
async function approveWebhooks(server: Spawned, fixtures: Fixtures, count: number, offset: number, acks: Acknowledged): Promise<string[]> {
  const approved: string[] = [];
  for (let i = 0; i < count; i++) {
    const user = fixtures.users[(offset + i) % fixtures.users.length]!;
    const created = await server.call("create_intervention", { user_id: user, playbook_id: fixtures.playbookId, channel: "webhook" }).catch(() => undefined);
    const id = (created?.structuredContent as { id?: string } | undefined)?.id;
    if (!id || created?.isError) continue;
    acks.created.push(id);
    const answer = await server.call("approve_intervention", { intervention_id: id }).catch(() => undefined);
    if (answer && !answer.isError && (answer.structuredContent as { status?: string }).status === "approved") approved.push(id);
  }
  acks.approved.push(...approved);
  return approved;
}

function countsFrom(dir: string, receiver: WebhookReceiver, acks: Acknowledged, rounds: number, extra: Pick<CampaignCounts, "wedged" | "slowestStopMs">): CampaignCounts {
  const acknowledged = acks.approved;
  const deliveries = receiver.posts.filter((post) => post.body.event === undefined);
  const idsByIntervention = new Map<string, Set<string>>();
  for (const post of deliveries) {
    const id = String(post.body.intervention_id);
    if (!idsByIntervention.has(id)) idsByIntervention.set(id, new Set());
    idsByIntervention.get(id)!.add(String(post.deliveryId));
  }
  const distinctIds = new Set(receiver.posts.map((post) => post.deliveryId)).size;
  const db = new Database(join(dir, "retivo.db"), { readonly: true, fileMustExist: true });
  try {
    const status = db.prepare("SELECT status FROM interventions WHERE id = ?").pluck();
    const finalRecord = db.prepare("SELECT outcome FROM deliveries WHERE intervention_id = ? AND kind = 'delivery' ORDER BY id DESC LIMIT 1").pluck();
    const lost =
      acks.created.filter((id) => status.get(id) === undefined).length +
      acknowledged.filter((id) => !["approved", "sent", "delivered", "failed", "rolled_back"].includes(status.get(id) as string)).length;
    const unfinished = acknowledged.filter((id) => {
      const now = status.get(id) as string;
      return now === "approved" || (now === "sent" && finalRecord.get(id) !== "unconfirmed");
    }).length;
    return {
      rounds,
      approved: acknowledged.length,
      posts: receiver.posts.length,
      repeatedPosts: receiver.posts.length - distinctIds,
      duplicateEffects: receiver.duplicateEffects(),
      deliveriesWithTwoIds: [...idsByIntervention.values()].filter((ids) => ids.size > 1).length,
      lostAcknowledged: lost,
      unfinished,
      ...extra,
    };
  } finally {
    db.close();
  }
}

/** Runs a last process until every acknowledged webhook is finished (or `timeoutMs` passes), then stops it gracefully. */
async function finishAll(dir: string, receiver: WebhookReceiver, acks: Acknowledged, timeoutMs: number): Promise<void> {
  ageClaims(dir);
  const last = await serve(dir, receiver);
  await until(() => countsFrom(dir, receiver, acks, 0, { wedged: 0, slowestStopMs: 0 }).unfinished === 0, timeoutMs);
  await last.close();
}

export interface KillCampaignOptions {
  rounds: number;
  perRound: number;
  /** How long the last process gets to finish everything. */
  finishTimeoutMs?: number;
  /** Progress, after each round. */
  onRound?: (round: number) => void;
}

export async function killCampaign(dir: string, receiver: WebhookReceiver, options: KillCampaignOptions): Promise<CampaignCounts> {
  receiver.answer(() => ({ delayMs: 300 + Math.floor(Math.random() * 1200), status: 204 }));
  const acks: Acknowledged = { created: [], approved: [] };
  for (let round = 0; round < options.rounds; round++) {
    const server = await serve(dir, receiver);
    const fixtures = readFixtures(dir);
    const before = receiver.posts.length;
    await approveWebhooks(server, fixtures, options.perRound, round * options.perRound, acks);
    options.onRound?.(round + 1);
    // Kill while POSTs are in flight: once the receiver has seen one, at a random moment of the next 1.5 s.
    await until(() => receiver.posts.length > before, 5000);
    await sleep(Math.floor(Math.random() * 1500));
    server.kill9();
    await server.exited;
    ageClaims(dir);
  }
  await finishAll(dir, receiver, acks, options.finishTimeoutMs ?? 30_000);
  return countsFrom(dir, receiver, acks, options.rounds, { wedged: 0, slowestStopMs: 0 });
}

export interface GracefulCampaignOptions {
  rounds: number;
  how: "stdin" | "sigterm";
  finishTimeoutMs?: number;
  onRound?: (round: number) => void;
}

/** Stops the process while its POST is in flight (the receiver answers after 1 s): the stop must wait for it and record it. */
export async function gracefulCampaign(dir: string, receiver: WebhookReceiver, options: GracefulCampaignOptions): Promise<CampaignCounts> {
  receiver.answer(() => ({ delayMs: 1000, status: 204 }));
  const acks: Acknowledged = { created: [], approved: [] };
  let wedged = 0;
  let slowestStopMs = 0;
  for (let round = 0; round < options.rounds; round++) {
    const server = await serve(dir, receiver);
    const fixtures = readFixtures(dir);
    const ids = await approveWebhooks(server, fixtures, 1, round, acks);
    await until(() => receiver.posts.some((post) => ids.includes(String(post.body.intervention_id))), 5000);
    const started = Date.now();
    if (options.how === "stdin") server.endStdin();
    else server.signal("SIGTERM");
    const code = await Promise.race([server.exited, sleep(15_000).then(() => "timeout" as const)]);
    if (code !== 0) wedged++;
    slowestStopMs = Math.max(slowestStopMs, Date.now() - started);
    server.kill9();
    ageClaims(dir);
    options.onRound?.(round + 1);
  }
  await finishAll(dir, receiver, acks, options.finishTimeoutMs ?? 30_000);
  return countsFrom(dir, receiver, acks, options.rounds, { wedged, slowestStopMs });
}
