/**
 * The approval webhook as a notice sink: each notice is POSTed, signed
 * (webhook-signature.ts), to RETIVO_APPROVAL_WEBHOOK_URL. `send` only queues
 * it and returns, so a slow or dead chat tool never holds up a tool call;
 * delivery runs in the background with a bounded number of attempts and
 * exponential backoff, a fresh timestamp and signature on each attempt and
 * the same delivery id on all, so the receiver can drop duplicates. Network
 * errors, timeouts, 429 and 5xx are retried; any other answer is final. A
 * notice that could not be delivered is logged to stderr and audited. The
 * queue is bounded too: past it, a notice is dropped, logged and audited.
 */
import { randomBytes } from "node:crypto";
import type { ApprovalWebhookConfig } from "../config.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/index.js";
import { auditGuard } from "./guard-audit.js";
import type { ApprovalNotice } from "./notices.js";
import { webhookPayloadOf } from "./webhook-payload.js";
import { signedHeaders } from "./webhook-signature.js";

export interface WebhookSinkOptions {
  store: Store;
  logger: Logger;
  webhook: ApprovalWebhookConfig;
  /** RETIVO_PUBLIC_URL: where the chat tool posts decisions back. */
  publicUrl?: string;
  /** Attempts per notice (default 5). */
  maxAttempts?: number;
  /** The first retry's wait; each next one doubles it (default 1 s). */
  backoffMs?: number;
  /** Each attempt's deadline, connect included (default 5 s). */
  timeoutMs?: number;
  /** Notices waiting at most (default 200). */
  maxQueued?: number;
  now?: () => Date;
}

export interface WebhookSink {
  readonly name: "approval-webhook";
  send(notice: ApprovalNotice): Promise<void>;
  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops retrying: what is still queued is logged as undelivered. */
  close(): Promise<void>;
}

type Attempt = { ok: true; status: number } | { ok: false; retry: boolean; error: string };

export function createWebhookSink(options: WebhookSinkOptions): WebhookSink {
  const { store, logger, webhook } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxQueued = options.maxQueued ?? 200;
  const now = options.now ?? (() => new Date());
  const inFlight = new Set<Promise<void>>();
  let closed = false;
  const stop = new AbortController();
  /** A backoff wait that close() cuts short; it never keeps the process alive. */
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      stop.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });

  const attempt = async (raw: string, deliveryId: string): Promise<Attempt> => {
    try {
      const response = await fetch(webhook.url, { method: "POST", headers: signedHeaders(webhook.secret, raw, now(), deliveryId), body: raw, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop.signal]), redirect: "manual" });
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      return { ok: false, retry: response.status === 429 || response.status >= 500, error: `answered ${response.status}` };
    } catch (error) {
      return { ok: false, retry: true, error: (error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message) };
    }
  };

  const undelivered = async (notice: ApprovalNotice, deliveryId: string, attempts: number, error: string) => {
    logger.warn({ approvalId: notice.request.approval_id, notice: notice.kind, deliveryId, attempts, error }, "the approval webhook notice could not be delivered");
    await auditGuard(store, {
      event: "approval_notice_failed",
      actor: "system:guard",
      interventionId: notice.request.intervention_id,
      detail: { approval_id: notice.request.approval_id, sink: "approval-webhook", notice: notice.kind, delivery_id: deliveryId, attempts, error },
    }).catch((auditError: unknown) => logger.warn({ err: auditError }, "could not audit an undelivered approval notice"));
  };

  const deliver = async (notice: ApprovalNotice) => {
    const deliveryId = `ntc_${randomBytes(12).toString("base64url")}`;
    const raw = JSON.stringify(webhookPayloadOf(notice, deliveryId, options.publicUrl));
    let last: Attempt = { ok: false, retry: true, error: "not sent" };
    for (let n = 1; n <= maxAttempts && !closed; n++) {
      last = await attempt(raw, deliveryId);
      if (last.ok) return logger.debug({ approvalId: notice.request.approval_id, deliveryId, attempts: n }, "approval webhook notice delivered");
      if (!last.retry) return undelivered(notice, deliveryId, n, last.error);
      if (n < maxAttempts) await wait(backoffMs * 2 ** (n - 1));
    }
    await undelivered(notice, deliveryId, maxAttempts, closed ? `${last.ok ? "" : last.error}; stopped at shutdown` : last.error);
  };

  return {
    name: "approval-webhook",
    async send(notice) {
      if (closed) return;
      if (inFlight.size >= maxQueued) return undelivered(notice, "(not queued)", 0, `more than ${maxQueued} notices waiting; the webhook is not keeping up`);
      const job: Promise<void> = deliver(notice)
        .catch((error: unknown) => logger.warn({ err: error }, "approval webhook delivery failed"))
        .finally(() => inFlight.delete(job));
      inFlight.add(job);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async close() {
      closed = true;
      stop.abort();
      await Promise.all([...inFlight]);
    },
  };
}
