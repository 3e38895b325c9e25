// Whether a process's memory stayed flat over a long run (the soak): the least-squares slope of the samples over
// the run's second half (the first half holds the warm-up: heaps and pools grow to their working size there),
// and the growth from the second half's first sample to the last.

export interface MemorySample {
  /** Seconds since the run started. */
  t: number;
  /** Resident set size, MB (undefined when unreadable). */
  rssMb: number | undefined;
  /** V8 heap in use, MB (undefined when unreadable). */
  heapMb: number | undefined;
}

export interface Trend {
  /** Samples the trend is computed from (the second half's readable ones). */
  samples: number;
  first: number;
  last: number;
  /** Least-squares slope over the second half, MB per minute. */
  slopeMbPerMin: number;
  /** Growth of the fit over the second half, percent of its starting value. */
  growthPct: number;
  /** True when the fitted growth over the second half is at most the allowed percentage. */
  flat: boolean;
}

/** Least-squares slope of `ys` over `xs` (same length, at least two distinct xs), per unit of x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2 || ys.length !== n) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * The trend of one reading (`rssMb` or `heapMb`) over the second half of `samples` (by time), or undefined with
 * fewer than two readable samples there. `maxGrowthPct`: the most the fitted line may rise over that half and
 * still count as flat.
 */
export function trend(
  samples: readonly MemorySample[],
  key: 'rssMb' | 'heapMb',
  maxGrowthPct: number,
): Trend | undefined {
  if (samples.length === 0) return undefined;
  const end = samples[samples.length - 1]!.t;
  const start = samples[0]!.t;
  const mid = start + (end - start) / 2;
  const half = samples.filter((s) => s.t >= mid && s[key] !== undefined);
  if (half.length < 2) return undefined;
  const xs = half.map((s) => s.t);
  const ys = half.map((s) => s[key]!);
  const perSec = slope(xs, ys);
  const span = xs[xs.length - 1]! - xs[0]!;
  const first = ys[0]!;
  const last = ys[ys.length - 1]!;
  const base = Math.max(first, 1e-9);
  const growthPct = ((perSec * span) / base) * 100;
  return {
    samples: half.length,
    first,
    last,
    slopeMbPerMin: perSec * 60,
    growthPct,
    flat: growthPct <= maxGrowthPct,
  };
}
