// The hub's publish-to-write histogram checked under load (issue 18): N subscribers on one channel, one
// unrecorded warm-up, then one step at a fixed delivery rate with the hub's /metrics scraped before and after.
// The delta of `switchboard_publish_to_write_seconds{transport}` over the step gives the hub's p50 and p99
// (interpolated as Prometheus' histogram_quantile does); the generator's own latencies of the same step
// (publish to receipt, which contains the hub's publish-to-write) give the reference; and the generator's
// latencies counted into the hub's buckets give the bucket-resolution error the issue bounds at 10%.
// Switchboard targets only: other hubs have no such metric.

import { describeErrors, openSubscribers, type RunContext } from '../context.ts';
import type { Transport } from '../dialect.ts';
import { Histogram } from '../histogram.ts';
import {
  type Buckets,
  deltaBuckets,
  parseBuckets,
  quantile,
  rebucket,
  relativeError,
} from '../prom-histogram.ts';
import { oneChannel } from '../publisher.ts';
import { emptyResult, type ScenarioResult } from '../results.ts';
import { formatStep, runStep, type StepSpec } from '../step.ts';

const CHANNEL = 'bench-histogram';
const SERIES = 'switchboard_publish_to_write_seconds';
/** The bucket-resolution error the issue allows. */
const TOLERANCE = 0.1;

/** The step's transport's series of the hub's histogram, or undefined when /metrics cannot be read. */
async function scrape(ctx: RunContext, transport: Transport): Promise<Buckets | undefined> {
  const { target } = ctx;
  const headers: Record<string, string> = {};
  if (target.apiKey !== undefined) headers.authorization = `Bearer ${target.apiKey}`;
  try {
    const res = await fetch(`http://${target.host}:${target.port}/metrics`, { headers });
    const text = await res.text();
    if (res.status !== 200) return undefined;
    // A hub without this series yet (nothing written on the transport) reads as all zeros: the delta still works.
    return parseBuckets(text, SERIES, 'transport', transport) ?? { bounds: [], counts: [] };
  } catch {
    return undefined;
  }
}

const ms = (s: number | undefined): number | undefined =>
  s === undefined ? undefined : Math.round(s * 1e6) / 1000;

export async function histogramCheck(
  ctx: RunContext,
  transport: Transport,
  n: number,
): Promise<ScenarioResult> {
  const { profile, target } = ctx;
  const result = emptyResult('histogram', transport, target.name, n);
  try {
    const opened = await openSubscribers(ctx, transport, n, CHANNEL, false);
    ctx.log(`    ${opened.ready}/${n} subscribers live in ${Math.round(opened.ms)} ms`);
    if (opened.failed > 0)
      result.notes.push(`${opened.failed} of ${n} subscribers failed: ${describeErrors(opened.errors)}`);
    const subs = opened.ready;
    if (subs === 0) return result;
    result.subscribers = subs;
    const at = (label: string): StepSpec => ({
      label,
      subscribers: subs,
      rate: profile.histogramRate / subs,
      deliveriesPerRound: subs,
      round: oneChannel(target.dialect, CHANNEL, subs),
    });
    await runStep({ ...ctx, profile: { ...profile, stepMs: profile.warmupMs } }, at('warm-up'));

    const before = await scrape(ctx, transport);
    const generator = new Histogram();
    const s = await runStep(ctx, at(`histogram ${profile.histogramRate}/s`), generator);
    const after = await scrape(ctx, transport);
    ctx.log(`    ${formatStep(s)}`);
    result.steps.push(s);
    if (before === undefined || after === undefined || after.bounds.length === 0) {
      result.notes.push(`no ${SERIES}{transport="${transport}"} in the hub's /metrics: nothing to compare`);
      return result;
    }
    const hub = deltaBuckets(before, after);
    const inBuckets = rebucket(generator.toPairs(), hub.bounds);
    const m = result.metrics;
    const set = (key: string, v: number | undefined): void => {
      if (v !== undefined) m[key] = v;
    };
    // The generator's own percentiles: its log-linear histogram (about 3% wide buckets), read at the upper bound.
    const gen = { p50: generator.percentile(0.5) / 1e6, p99: generator.percentile(0.99) / 1e6 };
    const fromBuckets = { p50: quantile(inBuckets, 0.5), p99: quantile(inBuckets, 0.99) };
    const hubQ = { p50: quantile(hub, 0.5), p99: quantile(hub, 0.99) };
    set('gen_p50_ms', ms(gen.p50));
    set('gen_p99_ms', ms(gen.p99));
    set('gen_bucketed_p50_ms', ms(fromBuckets.p50));
    set('gen_bucketed_p99_ms', ms(fromBuckets.p99));
    set('hist_p50_ms', ms(hubQ.p50));
    set('hist_p99_ms', ms(hubQ.p99));
    set('hist_count', hub.counts.at(-1));
    set('gen_count', generator.count);
    for (const q of ['p50', 'p99'] as const) {
      const bucketError = relativeError(fromBuckets[q], gen[q]);
      const hubRatio = hubQ[q] === undefined || gen[q] === 0 ? undefined : hubQ[q] / gen[q];
      set(`bucket_error_${q}`, bucketError);
      set(`hist_over_gen_${q}`, hubRatio === undefined ? undefined : Math.round(hubRatio * 1e4) / 1e4);
      if (bucketError !== undefined && bucketError > TOLERANCE)
        result.notes.push(
          `${q}: the generator's latencies read through the hub's buckets are ${(bucketError * 100).toFixed(1)}% ` +
            `off its own (more than ${TOLERANCE * 100}%)`,
        );
      if (hubRatio !== undefined && hubRatio > 1 + TOLERANCE)
        result.notes.push(
          `${q}: the hub's histogram (${ms(hubQ[q])} ms) is later than the generator's (${ms(gen[q])} ms) ` +
            `by more than ${TOLERANCE * 100}%, though its interval lies inside the generator's`,
        );
    }
    if (m.hist_count !== undefined && m.hist_count !== generator.count)
      result.notes.push(
        `the hub counted ${m.hist_count} writes in the step, the generator ${generator.count} receipts ` +
          '(deliveries still in flight at a scrape, or receipts left out of the histogram)',
      );
    ctx.log(
      `    hub histogram p50 ${m.hist_p50_ms} ms p99 ${m.hist_p99_ms} ms; generator p50 ${m.gen_p50_ms} ms ` +
        `p99 ${m.gen_p99_ms} ms, in the hub's buckets p50 ${m.gen_bucketed_p50_ms} ms p99 ${m.gen_bucketed_p99_ms} ms`,
    );
    return result;
  } finally {
    await ctx.pool.closeAll();
  }
}
