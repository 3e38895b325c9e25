// A log-linear latency histogram in microseconds (HDR-style: 32 sub-buckets per power of two, so about 3%
// precision), cheap to record into and mergeable across generator processes by adding counts.

const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
/** Enough buckets for values up to 2^31 µs (about 36 minutes). */
const BUCKETS = (31 - SUB_BITS + 1) * SUB + SUB;

function indexOf(us: number): number {
  const v = us < 1 ? 0 : Math.min(Math.floor(us), 0x7fffffff);
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v);
  return (e - SUB_BITS + 1) * SUB + (v >>> (e - SUB_BITS)) - SUB;
}

/** The upper bound (µs) of the values counted in bucket `i`: percentiles are read pessimistically. */
function upperOf(i: number): number {
  if (i < SUB) return i;
  const e = Math.floor(i / SUB) + SUB_BITS - 1;
  const sub = (i % SUB) + SUB;
  return ((sub + 1) << (e - SUB_BITS)) - 1;
}

/** Sparse wire form: [bucket, count] pairs, for IPC and JSON. */
export type HistogramPairs = Array<[number, number]>;

export class Histogram {
  #counts = new Float64Array(BUCKETS);
  #total = 0;
  #max = 0;

  /** Records one value in microseconds. */
  record(us: number): void {
    this.#counts[indexOf(us)]! += 1;
    this.#total += 1;
    if (us > this.#max) this.#max = us;
  }

  get count(): number {
    return this.#total;
  }

  /** The largest recorded value, exact (µs). */
  get max(): number {
    return this.#max;
  }

  /** The value (µs) under which a fraction `q` (0..1) of the recorded values fall; 0 when empty. */
  percentile(q: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(upperOf(i), this.#max);
    }
    return this.#max;
  }

  toPairs(): HistogramPairs {
    const out: HistogramPairs = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.#counts[i]!;
      if (c > 0) out.push([i, c]);
    }
    return out;
  }

  /** Adds another histogram's counts (its pairs and max). */
  merge(pairs: HistogramPairs, max: number): void {
    for (const [i, c] of pairs) {
      if (i < 0 || i >= BUCKETS) continue;
      this.#counts[i]! += c;
      this.#total += c;
    }
    if (max > this.#max) this.#max = max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#total = 0;
    this.#max = 0;
  }
}

/** Latency summary in milliseconds, as reported. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count: h.count,
    p50: ms(h.percentile(0.5)),
    p90: ms(h.percentile(0.9)),
    p99: ms(h.percentile(0.99)),
    max: ms(h.max),
  };
}

/** The middle (µs) of the values counted in bucket `i` (the pairs' first element), to re-bucket them. */
export function bucketMiddle(i: number): number {
  const lower = i === 0 ? 0 : upperOf(i - 1) + 1;
  return (lower + upperOf(i)) / 2;
}
