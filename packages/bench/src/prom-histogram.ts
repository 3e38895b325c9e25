// A Prometheus histogram read from a /metrics text: one series' cumulative buckets, the delta of two scrapes,
// and its quantiles interpolated as Prometheus' histogram_quantile does. Pure, tested with literal text.

import { bucketMiddle, type HistogramPairs } from './histogram.ts';

/** Cumulative counts by upper bound (seconds), ascending; the last bound may be +Inf. */
export interface Buckets {
  bounds: number[];
  counts: number[];
}

/** Labels of one sample line, `{a="x",b="y"}` → { a: 'x', b: 'y' } (values without escapes, as bounds are). */
function labelsOf(inside: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of inside.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/**
 * The `<name>_bucket` series of a metrics text whose label `label` is `value`, cumulative by bound; undefined
 * when the text has no such series.
 */
export function parseBuckets(text: string, name: string, label: string, value: string): Buckets | undefined {
  const prefix = `${name}_bucket{`;
  const found: Array<[number, number]> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.indexOf('}', prefix.length);
    if (close < 0) continue;
    const labels = labelsOf(line.slice(prefix.length, close));
    if (labels[label] !== value || labels.le === undefined) continue;
    const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
    const count = Number(
      line
        .slice(close + 1)
        .trim()
        .split(/\s+/)[0],
    );
    if (Number.isNaN(le) || Number.isNaN(count)) continue;
    found.push([le, count]);
  }
  if (found.length === 0) return undefined;
  found.sort((a, b) => a[0] - b[0]);
  return { bounds: found.map((f) => f[0]), counts: found.map((f) => f[1]) };
}

/** What was counted between two scrapes of the same series (`after` − `before`, bound by bound). */
export function deltaBuckets(before: Buckets | undefined, after: Buckets): Buckets {
  const counts = after.bounds.map((le, i) => {
    const j = before?.bounds.indexOf(le) ?? -1;
    return after.counts[i]! - (j < 0 ? 0 : before!.counts[j]!);
  });
  return { bounds: [...after.bounds], counts };
}

/**
 * The `q` quantile (0..1) as histogram_quantile computes it: find the bucket the rank q × total falls in and
 * interpolate linearly between its lower bound (0 for the first) and its upper bound; a rank in the +Inf bucket
 * gives the largest finite bound. Undefined when nothing was counted.
 */
export function quantile(b: Buckets, q: number): number | undefined {
  const total = b.counts.at(-1) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  const i = b.counts.findIndex((c) => c >= rank);
  const upper = b.bounds[i]!;
  const lower = i === 0 ? 0 : b.bounds[i - 1]!;
  if (upper === Number.POSITIVE_INFINITY) return lower;
  const below = i === 0 ? 0 : b.counts[i - 1]!;
  const inBucket = b.counts[i]! - below;
  if (inBucket === 0) return upper;
  return lower + ((upper - lower) * (rank - below)) / inBucket;
}

/**
 * The generator's latencies (its histogram's pairs, µs) counted into the given bounds (seconds), cumulative,
 * as the hub would count them: each generator bucket (about 3% wide) goes to the first bound at or above its
 * middle; what lies above every finite bound goes to +Inf.
 */
export function rebucket(pairs: HistogramPairs, bounds: readonly number[]): Buckets {
  const finite = bounds.filter((b) => Number.isFinite(b));
  const all = [...finite, Number.POSITIVE_INFINITY];
  const per = new Array<number>(all.length).fill(0);
  for (const [i, c] of pairs) {
    const s = bucketMiddle(i) / 1e6;
    let k = finite.findIndex((b) => s <= b);
    if (k < 0) k = finite.length;
    per[k]! += c;
  }
  let sum = 0;
  return { bounds: all, counts: per.map((c) => (sum += c)) };
}

/** |measured − reference| / reference, rounded to 4 places; undefined when either is missing or zero. */
export function relativeError(
  measured: number | undefined,
  reference: number | undefined,
): number | undefined {
  if (measured === undefined || reference === undefined || reference === 0) return undefined;
  return Math.round((Math.abs(measured - reference) / reference) * 1e4) / 1e4;
}
