/** Order statistics over latency samples (milliseconds). */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  // Nearest-rank: p99 of 100 samples is the 99th, not an interpolation below it.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Median of each field over several runs of the same measurement. */
export function medianOf(runs: readonly LatencySummary[]): LatencySummary {
  return {
    n: runs.reduce((sum, run) => sum + run.n, 0),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
  };
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Times `fn` `count` times after `warmup` untimed calls; returns each call's milliseconds. */
/** `before` runs ahead of each call, untimed (a write that makes the next read a cache miss, say). */
export async function timeCalls(count: number, warmup: number, fn: (i: number) => Promise<unknown>, before?: () => void): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    before?.();
    await fn(i);
  }
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    before?.();
    const start = performance.now();
    await fn(warmup + i);
    samples.push(performance.now() - start);
  }
  return samples;
}
