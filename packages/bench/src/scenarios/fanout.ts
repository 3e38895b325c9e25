// Fan-out: N subscribers on one channel; fixed delivery rates, a ramp to the highest rate that keeps p99
// under the bound with nothing lost, then one step at half that rate (the latency a hub gives with headroom).

import { describeErrors, openSubscribers, type RunContext } from '../context.ts';
import type { Transport } from '../dialect.ts';
import { oneChannel } from '../publisher.ts';
import { ramp } from '../ramp.ts';
import { emptyResult, type ScenarioResult } from '../results.ts';
import { formatStep, runStep, type StepSpec } from '../step.ts';
import { capacityEstimate, losslessMax, markConfirmation, rampNotes } from './notes.ts';

const CHANNEL = 'bench';

export async function fanout(ctx: RunContext, transport: Transport, n: number): Promise<ScenarioResult> {
  const { profile, target } = ctx;
  const deadline = performance.now() + profile.scenarioDeadlineMs;
  const result = emptyResult('fanout', transport, target.name, n);
  try {
    const opened = await openSubscribers(ctx, transport, n, CHANNEL, false);
    ctx.log(`    ${opened.ready}/${n} subscribers live in ${Math.round(opened.ms)} ms`);
    if (opened.failed > 0)
      result.notes.push(`${opened.failed} of ${n} subscribers failed: ${describeErrors(opened.errors)}`);
    const subs = opened.ready;
    if (subs === 0) return result;
    result.subscribers = subs;
    const at = (perSec: number, label: string): StepSpec => ({
      label,
      subscribers: subs,
      rate: perSec / subs,
      deliveriesPerRound: subs,
      round: oneChannel(target.dialect, CHANNEL, subs),
    });
    for (const perSec of profile.fixedRates) {
      if (performance.now() + profile.stepMs + profile.drainMaxMs > deadline) break;
      const s = await runStep(ctx, at(perSec, `fixed ${perSec}/s`));
      ctx.log(`    ${formatStep(s)}`);
      result.steps.push(s);
      result.metrics[`p99_at_${perSec}_ms`] = s.latency.p99;
    }
    const r = await ramp(ctx, profile.rampStart, deadline, at);
    result.steps.push(...r.steps);
    result.notes.push(...rampNotes(r, profile.p99BoundMs));
    const lossless = losslessMax(r.steps);
    if (lossless !== undefined) {
      // Where no rate meets the latency bound (a 20,000-subscriber burst takes longer than the bound to write
      // and read on one core each), this still says how much got through intact, and how late.
      result.metrics.max_lossless_per_s = lossless.deliveredPerSec;
      result.metrics.p99_at_lossless_ms = lossless.latency.p99;
    }
    if (r.best === undefined) return result;
    markConfirmation(result, r, ['max_delivered_per_s', 'p99_at_max_ms']);
    result.metrics.max_delivered_per_s = r.best.deliveredPerSec;
    result.metrics.p99_at_max_ms = r.best.latency.p99;
    result.metrics.bytes_per_msg = r.best.bytesPerMsg;
    if (r.best.hubCpu !== undefined) result.metrics.hub_cpu_at_max = r.best.hubCpu;
    const est = capacityEstimate(r.steps);
    if (est !== undefined) result.metrics.est_hub_capacity_per_s = est;
    if (performance.now() + profile.stepMs + profile.drainMaxMs < deadline) {
      const half = await runStep(ctx, at(r.best.deliveredPerSec / 2, 'half max'));
      ctx.log(`    ${formatStep(half)}`);
      result.steps.push(half);
      result.metrics.p50_at_half_ms = half.latency.p50;
      result.metrics.p99_at_half_ms = half.latency.p99;
    }
    return result;
  } finally {
    await ctx.pool.closeAll();
  }
}
