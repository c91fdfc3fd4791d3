/**
 * The webhook channel on the wire: the payload domain.md fixes, plus the two
 * fields a receiver needs to drop repeats and replays (`delivery_id`, and a
 * `timestamp` taken at each attempt), all inside the signed body; the same id
 * goes in `X-Retivo-Delivery` and `Idempotency-Key`. One POST's outcome says
 * whether the receiver can have the message: `unreached` means nothing was
 * sent, `unknown` that the request went out and no answer came back.
 *
 * node:http rather than undici here: it tells when the request has been
 * handed to the network (`finish`), which is what separates the two.
 */
import { createHmac } from "node:crypto";
import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Customer } from "../../domain/catalog.js";
import type { InterventionRow } from "../../store/index.js";

export interface WebhookPayload {
  intervention_id: string;
  user_id: string;
  playbook_id: string;
  channel: string;
  message_body: string;
  reasoning: string;
  confidence: number;
  metadata: { lifecycle_stage: string; activation_score: number; risk_level: string };
  event?: "intervention.retracted";
}

export interface WebhookTarget {
  url: string;
  secret: string;
}

export type PostOutcome =
  | { kind: "accepted"; status: number; detail: string }
  /** The endpoint answered, and not with 2xx. */
  | { kind: "refused"; status: number; retryable: boolean; detail: string }
  /** Nothing reached the endpoint (no connection): safe to send again. */
  | { kind: "unreached"; detail: string }
  /** The request went out and the answer was lost: the endpoint may have it. */
  | { kind: "unknown"; detail: string };

export function webhookPayload(row: InterventionRow, customer: Customer | undefined): WebhookPayload {
  return {
    intervention_id: row.id,
    user_id: row.user_id,
    playbook_id: row.playbook_id,
    channel: row.channel,
    message_body: row.message_body,
    reasoning: row.reasoning,
    confidence: row.confidence,
    metadata: {
      lifecycle_stage: customer?.lifecycle_stage ?? "unknown",
      activation_score: customer?.activation_score ?? 0,
      risk_level: customer?.risk_level ?? "unknown",
    },
  };
}

export function signBody(rawBody: string, secret: string): string {
  return createHmac("sha256", secret).update(rawBody).digest("hex");
}

/** The body and headers of one attempt: the timestamp is the attempt's own, so a receiver can refuse replays. */
export function signedAttempt(payload: WebhookPayload, deliveryId: string, secret: string, now: Date): { raw: string; headers: Record<string, string> } {
  const timestamp = now.toISOString();
  const raw = JSON.stringify({ ...payload, delivery_id: deliveryId, timestamp });
  return {
    raw,
    headers: {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(raw)),
      "x-retivo-signature": signBody(raw, secret),
      "x-retivo-delivery": deliveryId,
      "idempotency-key": deliveryId,
      "x-retivo-timestamp": timestamp,
    },
  };
}

// A fresh connection per POST: a pooled socket the endpoint closed meanwhile would turn a
// message that never left into an `unknown` one.
const agents = { "http:": new HttpAgent({ keepAlive: false }), "https:": new HttpsAgent({ keepAlive: false }) };

function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? (error as Error).name ?? "error";
}

/**
 * One signed POST. `timeoutMs` caps the whole attempt, connect included;
 * `signal` abandons it (a dispatcher whose stop grace ran out).
 */
export function postWebhook(
  target: WebhookTarget,
  payload: WebhookPayload,
  deliveryId: string,
  options: { timeoutMs: number; signal?: AbortSignal; now?: Date },
): Promise<PostOutcome> {
  const { raw, headers } = signedAttempt(payload, deliveryId, target.secret, options.now ?? new Date());
  const url = new URL(target.url);
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const requestOptions: RequestOptions = { method: "POST", headers, signal, agent: agents[url.protocol as "http:" | "https:"] };
  return new Promise((resolve) => {
    let sent = false;
    let settled = false;
    const settle = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const request = send(url, requestOptions, (response) => {
      // The status is the answer; the body is drained and ignored.
      response.on("error", () => {});
      response.resume();
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) return settle({ kind: "accepted", status, detail: `endpoint answered HTTP ${status}` });
      settle({
        kind: "refused",
        status,
        retryable: status >= 500 || status === 429 || status === 408,
        detail: `endpoint answered HTTP ${status}`,
      });
    });
    // Emitted once the whole request has been handed to the operating system.
    request.on("finish", () => (sent = true));
    request.on("error", (error) => {
      const stopped = options.signal?.aborted === true;
      if (sent) {
        const why = stopped ? "the dispatcher stopped" : deadline.aborted ? `no answer within ${options.timeoutMs} ms` : `the connection failed (${errorCode(error)})`;
        return settle({ kind: "unknown", detail: `sent, but ${why} before an answer came (outcome unknown)` });
      }
      const why = stopped ? "the dispatcher stopped" : deadline.aborted ? `no connection within ${options.timeoutMs} ms` : errorCode(error);
      settle({ kind: "unreached", detail: `could not reach the endpoint (${why}); nothing was sent` });
    });
    request.end(raw);
  });
}
