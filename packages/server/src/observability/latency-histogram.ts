/**
 * A Prometheus histogram by one label (or a few), cheap enough for the delivery hot path: an observation is a binary search
 * over the bucket bounds and three additions on a series resolved once (prom-client's own `observe` validates and
 * hashes the labels on every call). It registers with a prom-client `Registry` as a metric of its own and is exported
 * in the same text format as prom-client's histograms (`_bucket{le}` cumulative, `_sum`, `_count`).
 */
export class LatencyHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum' as const;
  readonly #bounds: readonly number[];
  /** By the label values joined with a NUL: each series and its labels. */
  readonly #series = new Map<
    string,
    { readonly labels: Record<string, string>; readonly s: LatencySeries }
  >();

  constructor(
    options: { name: string; help: string; buckets: readonly number[] } & (
      | { labelName: L }
      | { labelNames: readonly L[] }
    ),
  ) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = 'labelName' in options ? [options.labelName] : [...options.labelNames];
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  /**
   * The series of one set of label values, in `labelNames` order (made on first use, then the same object, reset
   * or not: a caller may keep it).
   */
  series(...values: string[]): LatencySeries {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let entry = this.#series.get(key);
    if (entry === undefined) {
      const labels: Record<string, string> = {};
      for (const [i, name] of this.labelNames.entries()) labels[name] = values[i] ?? '';
      entry = { labels, s: new LatencySeries(this.#bounds) };
      this.#series.set(key, entry);
    }
    return entry.s;
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
    for (const { labels, s } of this.#series.values()) {
      let cumulative = 0;
      for (const [i, le] of this.#bounds.entries()) {
        cumulative += s.counts[i]!;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series in place: callers keep theirs. */
  reset(): void {
    for (const { s } of this.#series.values()) s.clear();
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

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** `count` observations (1 when not given) of `seconds` each. */
  observe(seconds: number, count = 1): void {
    const b = this.#bounds;
    // The first bound >= seconds (Prometheus buckets are upper-inclusive).
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid]! < seconds) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]! += count;
    this.sum += seconds * count;
    this.count += count;
  }
}
