/**
 * A loopback webhook receiver that behaves as the README asks receivers to:
 * it checks the signature, rejects stale timestamps, and applies each delivery
 * id once, so tests and campaigns can count effects (what a customer's system
 * would do) apart from POSTs (what went over the wire). How it answers each
 * POST is scripted: after a delay, with a status, or not at all (the
 * connection is cut after the request was read).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedPost {
  deliveryId: string | undefined;
  idempotencyKey: string | undefined;
  timestampHeader: string | undefined;
  signatureValid: boolean;
  body: { intervention_id?: string; delivery_id?: string; timestamp?: string; event?: string } & Record<string, unknown>;
  at: number;
}

export interface Answer {
  /** Before answering (the effect, if any, is applied on receipt, as a real receiver would). */
  delayMs?: number;
  status?: number;
  /** Cut the connection without answering. */
  drop?: boolean;
}

export interface Effect {
  interventionId: string;
  event: string;
  deliveryId: string;
}

export interface WebhookReceiver {
  url: string;
  posts: ReceivedPost[];
  /** Applied deliveries, one per delivery id. */
  effects: Effect[];
  /** How to answer each POST from now on. */
  answer(decide: (post: ReceivedPost) => Answer): void;
  /** Effects beyond the first for the same intervention and event: what deduping by id must keep at 0. */
  duplicateEffects(): number;
  close(): Promise<void>;
}

/** What receivers should allow between a delivery's signed timestamp and its arrival. */
const REPLAY_WINDOW_MS = 5 * 60_000;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = [];
  const effects: Effect[] = [];
  const applied = new Set<string>();
  let decide: (post: ReceivedPost) => Answer = () => ({ status: 204 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const expected = createHmac("sha256", secret).update(raw).digest();
      const given = Buffer.from(header(req.headers, "x-retivo-signature") ?? "", "hex");
      let body: ReceivedPost["body"] = {};
      try {
        body = JSON.parse(raw.toString("utf8")) as ReceivedPost["body"];
      } catch {
        // counted as a POST with an empty body
      }
      const post: ReceivedPost = {
        deliveryId: header(req.headers, "x-retivo-delivery"),
        idempotencyKey: header(req.headers, "idempotency-key"),
        timestampHeader: header(req.headers, "x-retivo-timestamp"),
        signatureValid: given.length === expected.length && timingSafeEqual(given, expected),
        body,
        at: Date.now(),
      };
      posts.push(post);
      const fresh = body.timestamp !== undefined && Math.abs(Date.now() - Date.parse(body.timestamp)) < REPLAY_WINDOW_MS;
      const id = post.deliveryId;
      if (post.signatureValid && fresh && id !== undefined && id === body.delivery_id && !applied.has(id)) {
        applied.add(id);
        effects.push({ interventionId: String(body.intervention_id), event: body.event ?? "intervention.delivered", deliveryId: id });
      }
      const answer = decide(post);
      const respond = () => {
        if (answer.drop) return void req.socket.destroy();
        if (!res.destroyed) res.writeHead(answer.status ?? 204).end();
      };
      if (answer.delayMs) setTimeout(respond, answer.delayMs).unref();
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    posts,
    effects,
    answer(next) {
      decide = next;
    },
    duplicateEffects() {
      const seen = new Map<string, number>();
      for (const effect of effects) {
        const key = `${effect.interventionId}:${effect.event}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      return [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
