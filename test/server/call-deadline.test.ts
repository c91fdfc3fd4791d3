/**
 * The signal each tool call hands its backend (tools/deadline.ts): it aborts
 * on the call's deadline with a DeadlineExceededError, or on the client's
 * cancellation with the client's own reason, whichever comes first, and
 * never once the call is over and disposed of.
 */
import { describe, expect, it } from "vitest";
import { DeadlineExceededError } from "../../src/errors.js";
import { callDeadline, lazySignal } from "../../src/tools/deadline.js";

const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener("abort", () => resolve(signal.reason), { once: true }));

describe("a tool call's signal", () => {
  it("aborts with a DeadlineExceededError naming the deadline when it passes", async () => {
    const client = new AbortController();
    const deadline = callDeadline(client.signal, 50);
    const reason = await aborted(deadline.signal);
    expect(reason).toBeInstanceOf(DeadlineExceededError);
    expect((reason as Error).message).toMatch(/deadline of 0\.1 s \(RETIVO_CALL_TIMEOUT_SECONDS\) passed/);
    expect(client.signal.aborted).toBe(false);
  });

  it("aborts with the client's reason when the client cancels first, and the deadline then changes nothing", async () => {
    const client = new AbortController();
    const deadline = callDeadline(client.signal, 80);
    const cancelled = new Error("the client cancelled");
    client.abort(cancelled);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(cancelled);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(deadline.signal.reason).toBe(cancelled);
  });

  it("starts aborted when the client had already cancelled", () => {
    const client = new AbortController();
    client.abort("gone");
    const deadline = callDeadline(client.signal, 60_000);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe("gone");
    deadline.dispose();
  });

  it("stays quiet after dispose: the deadline's timer is cleared", async () => {
    const client = new AbortController();
    const deadline = callDeadline(client.signal, 30);
    deadline.dispose();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(deadline.signal.aborted).toBe(false);
  });

  it("is made on first use, with what is left of the deadline counted from the call's start", async () => {
    let clock = 0;
    const late = callDeadline(new AbortController().signal, 1_000, () => clock);
    clock = 1_500;
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBeInstanceOf(DeadlineExceededError);
    clock = 0;
    const nearlyOver = callDeadline(new AbortController().signal, 5_000, () => clock);
    clock = 4_950;
    // 50 ms are left, not another 5 s.
    const first = await Promise.race([aborted(nearlyOver.signal), new Promise((resolve) => setTimeout(() => resolve("still waiting"), 2_000))]);
    expect(first).toBeInstanceOf(DeadlineExceededError);
  });

  it("hands a backend the signal only when it reads it, and then the call's own", () => {
    let made = 0;
    const signal = new AbortController().signal;
    const options = lazySignal({
      get signal() {
        made++;
        return signal;
      },
    });
    expect(made).toBe(0);
    expect(options.signal).toBe(signal);
    expect(made).toBe(1);
  });
});
