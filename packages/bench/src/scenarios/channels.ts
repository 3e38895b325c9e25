// Many channels: each subscriber on a channel of its own; every round publishes one message to every
// channel, with `/api/broadcast` (1,000 channels a request) where the hub has it, else one publish each.

import { describeErrors, openSubscribers, type RunContext } from '../context.ts';
import type { Transport } from '../dialect.ts';
import type { RoundRequest } from '../publisher.ts';
import { ramp } from '../ramp.ts';
import type { ScenarioResult } from '../results.ts';
import type { StepSpec } from '../step.ts';
import { capacityEstimate, losslessMax, rampNotes } from './notes.ts';

const PREFIX = 'bench-c';
/** The hub's limit on channels per broadcast. */
const BROADCAST_MAX = 1_000;

export async function channels(ctx: RunContext, transport: Transport, n: number): Promise<ScenarioResult> {
  const { profile, target } = ctx;
  const deadline = performance.now() + profile.scenarioDeadlineMs;
  const result: ScenarioResult = {
    scenario: 'channels',
    transport,
    target: target.name,
    requested: n,
    subscribers: n,
    metrics: {},
    steps: [],
    notes: [],
  };
  try {
    const opened = await openSubscribers(ctx, transport, n, PREFIX, true);
    ctx.log(`    ${opened.ready}/${n} subscribers (one channel each) live in ${Math.round(opened.ms)} ms`);
    if (opened.failed > 0)
      result.notes.push(`${opened.failed} of ${n} subscribers failed: ${describeErrors(opened.errors)}`);
    if (opened.ready === 0) return result;
    // Deliveries owed per channel: the share of channels whose subscriber is live.
    const share = opened.ready / n;
    const names = Array.from({ length: n }, (_, i) => `${PREFIX}${i}`);
    const round = buildRound(ctx, names, share);
    if (!target.dialect.broadcast)
      result.notes.push(`no broadcast in ${target.dialect.name}: ${n} publishes a round`);
    const at = (perSec: number, label: string): StepSpec => ({
      label,
      subscribers: opened.ready,
      rate: perSec / opened.ready,
      deliveriesPerRound: opened.ready,
      round,
    });
    const r = await ramp(ctx, profile.channelsRampStart, deadline, at);
    result.steps.push(...r.steps);
    result.notes.push(...rampNotes(r, profile.p99BoundMs));
    const lossless = losslessMax(r.steps);
    if (lossless !== undefined) {
      // Where no rate meets the latency bound (a 20,000-subscriber burst takes longer than the bound to write
      // and read on one core each), this still says how much got through intact, and how late.
      result.metrics.max_lossless_per_s = lossless.deliveredPerSec;
      result.metrics.p99_at_lossless_ms = lossless.latency.p99;
    }
    if (r.best !== undefined) {
      result.metrics.max_delivered_per_s = r.best.deliveredPerSec;
      result.metrics.p99_at_max_ms = r.best.latency.p99;
      if (r.best.hubCpu !== undefined) result.metrics.hub_cpu_at_max = r.best.hubCpu;
      const est = capacityEstimate(r.steps);
      if (est !== undefined) result.metrics.est_hub_capacity_per_s = est;
    }
    return result;
  } finally {
    await ctx.pool.closeAll();
  }
}

function buildRound(ctx: RunContext, names: string[], share: number): (data: string) => RoundRequest[] {
  const d = ctx.target.dialect;
  if (!d.broadcast) return (data) => names.map((c) => ({ ...d.publish(c, data), deliveries: share }));
  const groups: string[][] = [];
  for (let i = 0; i < names.length; i += BROADCAST_MAX) groups.push(names.slice(i, i + BROADCAST_MAX));
  return (data) => groups.map((g) => ({ ...d.broadcastRequest(g, data), deliveries: g.length * share }));
}
