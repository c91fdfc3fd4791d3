/**
 * One deadline per tool call, below the request timeouts clients commonly use
 * (60 s for the SDK's), so the agent hears what happened before its client
 * gives up, and so no change is sent upstream after it did. The signal aborts
 * on the deadline or on the client's own cancellation (the MCP request's
 * signal), whichever comes first; backends pass it to every upstream request
 * and retry wait.
 *
 * The signal is made when something first asks for it, with what is left of
 * the deadline counted from the call's start: the local store never listens,
 * so a local read need not pay for an AbortController, a listener on the
 * client's signal and a timer (together more than the read of one
 * intervention from SQLite).
 */
import { DeadlineExceededError } from "../errors.js";

export interface CallDeadline {
  readonly signal: AbortSignal;
  /** Clears the timer once the call is over; a signal first asked for after this never aborts on the deadline. */
  dispose(): void;
}

export function callDeadline(clientSignal: AbortSignal, timeoutMs: number, now: () => number = performance.now.bind(performance)): CallDeadline {
  const endsAt = now() + timeoutMs;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;
  const arm = (deadline: AbortController) => {
    // The client's cancellation aborts the same signal, with the client's reason: what
    // AbortSignal.any would do, without its weak references, which cost more per call
    // than a local read (measured: 21 µs against 8 µs per call, the SDK's own signal included).
    if (clientSignal.aborted) return deadline.abort(clientSignal.reason);
    clientSignal.addEventListener("abort", () => deadline.abort(clientSignal.reason), { once: true });
    if (disposed) return;
    const seconds = Math.round(timeoutMs / 100) / 10;
    const expire = () =>
      deadline.abort(
        new DeadlineExceededError(
          `The call ran out of time: its deadline of ${seconds} s (RETIVO_CALL_TIMEOUT_SECONDS) passed.`,
          "Try again shortly; if the Retivo API stays slow, check its status.",
        ),
      );
    const left = endsAt - now();
    if (left <= 0) return expire();
    timer = setTimeout(expire, left);
    timer.unref();
  };
  return {
    get signal() {
      if (!controller) arm((controller = new AbortController()));
      return controller.signal;
    },
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * A backend call's options that hand over the call's signal only if the
 * backend reads it: the remote API's client does, the local store never does.
 */
export function lazySignal(call: { readonly signal: AbortSignal }): { readonly signal: AbortSignal } {
  return {
    get signal() {
      return call.signal;
    },
  };
}
