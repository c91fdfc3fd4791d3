/**
 * The one bounded retry loop both webhook deliveries and webhook retractions
 * use: POST, and on a retryable failure wait (with jitter) and POST again with
 * the same delivery id, until accepted, refused for good, out of delays, or
 * stopped. An attempt whose request went out but whose answer was lost is
 * `unknown`, and a sequence with one is never called failed: the endpoint may
 * have the message, so it ends `unconfirmed`.
 */
import { postWebhook, type PostOutcome, type WebhookPayload, type WebhookTarget } from "./webhook.js";

export interface StopSignals {
  /** Aborted when the dispatcher starts to stop: no new attempt begins, and a backoff ends at once. */
  stopping: AbortSignal;
  /** Aborted when the stop's grace period is over: a POST still in flight is abandoned. */
  abandon: AbortSignal;
}

export interface RetryPolicy extends StopSignals {
  /** Delays between attempts; attempts = delays + 1. */
  delaysMs: readonly number[];
  /** Hard cap of one attempt, connect included. */
  timeoutMs: number;
}

export interface SequenceEnd {
  /**
   * `accepted`: the endpoint said 2xx. `error`: it never got the message, or
   * refused it for good. `unconfirmed`: attempts ran out and at least one was
   * sent without an answer, so the endpoint may have it. `interrupted`: the
   * dispatcher stopped; left for a resume with the same id. `cancelled`: no
   * longer wanted (a rollback won the race).
   */
  outcome: "accepted" | "error" | "unconfirmed" | "interrupted" | "cancelled";
  /** Attempts made (0 when none was). */
  attempt: number;
  detail: string;
}

const JITTER = 0.2;

/** What an attempt that will be retried is recorded as. */
export type RetriedAttempt = "retrying" | "unknown";

export async function postWithRetries(
  target: WebhookTarget,
  payload: WebhookPayload,
  deliveryId: string,
  policy: RetryPolicy,
  /** Called after each failed attempt that will be retried, before the wait. */
  onRetry: (attempt: number, outcome: RetriedAttempt, detail: string) => Promise<void>,
  /**
   * Asked before every attempt, the first included: a delivery rolled back
   * meanwhile (even before its first POST) must not arrive after its retraction.
   */
  stillWanted: () => Promise<boolean> = async () => true,
): Promise<SequenceEnd> {
  let unanswered = 0;
  for (let attempt = 1; ; attempt++) {
    if (!(await stillWanted())) {
      return {
        outcome: "cancelled",
        attempt: attempt - 1,
        detail:
          attempt === 1
            ? "no longer wanted (rolled back) before the first attempt; never sent"
            : "no longer wanted (rolled back) before the endpoint accepted; not sent again",
      };
    }
    if (policy.stopping.aborted) return interrupted(attempt - 1, "the dispatcher stopped before this attempt");
    const outcome = await postWebhook(target, payload, deliveryId, { timeoutMs: policy.timeoutMs, signal: policy.abandon });
    if (outcome.kind === "accepted") return { outcome: "accepted", attempt, detail: outcome.detail };
    if (outcome.kind === "unknown") unanswered++;
    // A stop is not the endpoint's fault: what this attempt did is said, and the rest is left for a resume.
    if (policy.stopping.aborted) return interrupted(attempt, outcome.detail);
    const delay = policy.delaysMs[attempt - 1];
    if (!isRetryable(outcome) || delay === undefined) return lastWord(outcome, attempt, unanswered);
    await onRetry(attempt, outcome.kind === "unknown" ? "unknown" : "retrying", `${outcome.detail}; retrying with the same delivery id`);
    if (!(await sleepUnlessStopped(jittered(delay), policy.stopping))) return interrupted(attempt, outcome.detail);
  }
}

function isRetryable(outcome: Exclude<PostOutcome, { kind: "accepted" }>): boolean {
  return outcome.kind !== "refused" || outcome.retryable;
}

function lastWord(outcome: Exclude<PostOutcome, { kind: "accepted" }>, attempt: number, unanswered: number): SequenceEnd {
  if (unanswered === 0) return { outcome: "error", attempt, detail: outcome.detail };
  return {
    outcome: "unconfirmed",
    attempt,
    detail:
      `${outcome.detail}; ${unanswered} of ${attempt} attempts were sent without an answer, so the endpoint may have the message: ` +
      "not marked failed, and not sent again",
  };
}

function interrupted(attempt: number, what: string): SequenceEnd {
  return { outcome: "interrupted", attempt, detail: `${what}; the dispatcher stopped: left for a resume with the same delivery id` };
}

export function jittered(delayMs: number): number {
  return delayMs * (1 - JITTER + Math.random() * 2 * JITTER);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleepUnlessStopped(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    timer.unref();
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
