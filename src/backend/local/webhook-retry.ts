/**
 * The one bounded retry loop both webhook deliveries and webhook retractions
 * use: POST, and on a retryable failure wait (with jitter) and POST again,
 * until accepted, refused for good, out of delays, or interrupted by `stop()`.
 */
import { postWebhook } from "./channels.js";

export interface RetryPolicy {
  /** Delays between attempts; attempts = delays + 1. */
  delaysMs: readonly number[];
  /** Hard cap of one attempt, connect included. */
  timeoutMs: number;
  /** Aborted by `Dispatcher.stop()`: the sleep and any POST in flight end at once. */
  signal: AbortSignal;
}

export interface SequenceEnd {
  /**
   * `interrupted`: the dispatcher stopped; the work is left for a resume.
   * `cancelled`: no longer wanted before an attempt (a rollback won the race);
   * `attempt` is the number of attempts made, 0 when none was.
   */
  outcome: "accepted" | "error" | "interrupted" | "cancelled";
  attempt: number;
  detail: string;
}

const JITTER = 0.2;

/**
 * The policy, refused when its worst case (every attempt timing out, every
 * wait at full jitter) exceeds half the resume window: an owner must always
 * finish long before its stamp looks abandoned (dispatch-claims.ts); the other
 * half is margin for event-loop stalls. This cap, rather than refreshing the
 * stamp during a sequence, keeps the ownership rule a single write.
 */
export function boundedPolicy(delaysMs: readonly number[], timeoutMs: number, resumeAfterMs: number): Omit<RetryPolicy, "signal"> {
  const worst = delaysMs.reduce((sum, d) => sum + d, 0) * (1 + JITTER) + (delaysMs.length + 1) * timeoutMs;
  if (worst > resumeAfterMs / 2) {
    throw new Error(`webhook retries can take ${Math.ceil(worst)} ms, more than half the resume window of ${resumeAfterMs} ms`);
  }
  return { delaysMs, timeoutMs };
}

export async function postWithRetries(
  target: { url: string; secret: string },
  payload: object,
  policy: RetryPolicy,
  /** Called after each failed attempt that will be retried, before the wait. */
  onRetry: (attempt: number, detail: string) => void,
  /**
   * Asked before every attempt, the first included: a delivery rolled back
   * meanwhile (even before its first POST) must not arrive after its retraction.
   */
  stillWanted: () => boolean = () => true,
): Promise<SequenceEnd> {
  for (let attempt = 1; ; attempt++) {
    if (!stillWanted()) {
      return {
        outcome: "cancelled",
        attempt: attempt - 1,
        detail:
          attempt === 1
            ? "no longer wanted (rolled back) before the first attempt; never sent"
            : "no longer wanted (rolled back) before the endpoint accepted; not sent again",
      };
    }
    const outcome = await postWebhook(target.url, target.secret, payload, policy.timeoutMs, policy.signal);
    if (outcome.ok) return { outcome: "accepted", attempt, detail: `endpoint answered HTTP ${outcome.status}` };
    // A stop is not the endpoint's fault: the attempt is left for a resume, never marked failed.
    if (policy.signal.aborted) return interrupted(attempt);
    const delay = policy.delaysMs[attempt - 1];
    if (!outcome.retryable || delay === undefined) return { outcome: "error", attempt, detail: outcome.detail };
    onRetry(attempt, outcome.detail);
    if (!(await sleep(delay * (1 - JITTER + Math.random() * 2 * JITTER), policy.signal))) return interrupted(attempt);
  }
}

function interrupted(attempt: number): SequenceEnd {
  return { outcome: "interrupted", attempt, detail: "the dispatcher stopped before the endpoint accepted; left for a resume" };
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
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
