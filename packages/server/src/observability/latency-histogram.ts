/**
 * A Prometheus histogram by one label, cheap enough for the delivery hot path: an observation is a binary search
 * over the bucket bounds and three additions on a series resolved once (prom-client's own `observe` validates and
 * hashes the labels on every call). It registers with a prom-client `Registry` as a metric of its own and is exported
 * in the same text format as prom-client's histograms (`_bucket{le}` cumulative, `_sum`, `_count`).
 */
export class LatencyHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly labelNames: readonly [L];
  readonly aggregator = 'sum' as const;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, LatencySeries>();

  constructor(options: { name: string; help: string; labelName: L; buckets: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = [options.labelName];
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  /** The series of one label value (made on first use, then the same object). */
  series(value: string): LatencySeries {
    let s = this.#series.get(value);
    if (s === undefined) {
      s = new LatencySeries(this.#bounds);
      this.#series.set(value, s);
    }
    return s;
  }

  /** What prom-client's registry reads: the metric in its `get()` shape. */
  get(): {
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
  } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    const label = this.labelNames[0];
    for (const [value, s] of this.#series) {
      let cumulative = 0;
      for (const [i, le] of this.#bounds.entries()) {
        cumulative += s.counts[i]!;
        values.push({ labels: { le, [label]: value }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({
        labels: { le: '+Inf', [label]: value },
        value: s.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: { [label]: value }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { [label]: value }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
  }
}

/** One label value's counts: per bucket (not cumulative; the last slot is past the largest bound), sum, count. */
export class LatencySeries {
  readonly #bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const b = this.#bounds;
    // The first bound >= seconds (Prometheus buckets are upper-inclusive).
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid]! < seconds) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]!++;
    this.sum += seconds;
    this.count++;
  }
}
