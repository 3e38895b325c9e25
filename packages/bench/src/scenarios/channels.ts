// Many channels: each subscriber on a channel of its own. The publisher cycles through the channels in groups
// of 100 (`/api/broadcast`) where the hub has broadcast, else one publish per channel, with requests spread
// evenly over time: the load is many channels each getting a steady stream, not one burst to every channel
// (a burst to 10,000 channels would measure the length of the burst, as a 20,000-subscriber fan-out does).
//
// `single` is the same load sent the way notification and chat backends send it: one `POST /api/publish` per
// message to one channel, never a broadcast, with the publisher's many requests in flight over its keep-alive
// connections. It measures the hub's cost per publish request rather than per delivery. `single-pipeline` sends
// the same requests pipelined (written back to back on each connection, answers read in order), `single-stream`
// the same publishes as lines of one `POST /api/publish/stream` per connection (Switchboard only).

import { describeErrors, openSubscribers, type RunContext } from '../context.ts';
import type { Dialect, Transport } from '../dialect.ts';
import type { Round } from '../publisher.ts';
import { ramp } from '../ramp.ts';
import { emptyResult, type ScenarioResult } from '../results.ts';
import type { StepSpec } from '../step.ts';
import { capacityEstimate, losslessMax, markConfirmation, rampNotes } from './notes.ts';

const PREFIX = 'bench-c';
/** Channels per broadcast request (the hub accepts up to 1,000). */
const GROUP = 100;

/** How the publisher reaches the channels: broadcast groups where the hub has them, or always one publish each. */
export type ChannelsMode = 'channels' | 'single' | 'single-pipeline' | 'single-stream';

export async function channels(
  ctx: RunContext,
  transport: Transport,
  n: number,
  mode: ChannelsMode = 'channels',
): Promise<ScenarioResult> {
  const { profile, target } = ctx;
  const deadline = performance.now() + profile.scenarioDeadlineMs;
  const result = emptyResult(mode, transport, target.name, n);
  const publishMode =
    mode === 'single-pipeline' ? 'pipeline' : mode === 'single-stream' ? 'stream' : 'request';
  await ctx.publisher.setMode(publishMode);
  try {
    const opened = await openSubscribers(ctx, transport, n, PREFIX, true);
    ctx.log(`    ${opened.ready}/${n} subscribers (one channel each) live in ${Math.round(opened.ms)} ms`);
    if (opened.failed > 0)
      result.notes.push(`${opened.failed} of ${n} subscribers failed: ${describeErrors(opened.errors)}`);
    if (opened.ready === 0) return result;
    // Deliveries owed per channel: the share of channels whose subscriber is live.
    const share = opened.ready / n;
    const names = Array.from({ length: n }, (_, i) => `${PREFIX}${i}`);
    const { round, deliveriesPerRound } = buildRound(target.dialect, names, share, mode === 'channels');
    if (publishMode !== 'request') result.notes.push(`publishes sent as: ${publishMode}`);
    if (mode === 'channels' && !target.dialect.broadcast)
      result.notes.push(`no broadcast in ${target.dialect.name}: one publish per channel`);
    const at = (perSec: number, label: string): StepSpec => ({
      label,
      subscribers: opened.ready,
      rate: perSec / deliveriesPerRound,
      deliveriesPerRound,
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
      markConfirmation(result, r, ['max_delivered_per_s', 'p99_at_max_ms']);
      result.metrics.max_delivered_per_s = r.best.deliveredPerSec;
      result.metrics.p99_at_max_ms = r.best.latency.p99;
      if (r.best.hubCpu !== undefined) result.metrics.hub_cpu_at_max = r.best.hubCpu;
      const est = capacityEstimate(r.steps);
      if (est !== undefined) result.metrics.est_hub_capacity_per_s = est;
    }
    return result;
  } finally {
    await ctx.publisher.setMode('request');
    await ctx.pool.closeAll();
  }
}

/**
 * One round is one request, to the next group of channels (one channel when `broadcast` is false or the hub has
 * no broadcast). The payload's counter `s` is rewritten to the number of times the cycle has reached that group,
 * so each channel sees 1, 2, 3…: the sequence its subscriber's loss and duplicates are counted from.
 */
export function buildRound(
  d: Dialect,
  names: readonly string[],
  share: number,
  broadcast: boolean,
): { round: Round; deliveriesPerRound: number } {
  const grouped = broadcast && d.broadcast;
  const size = grouped ? GROUP : 1;
  const groups: string[][] = [];
  for (let i = 0; i < names.length; i += size) groups.push(names.slice(i, i + size));
  let k = 0;
  const round: Round = (data) => {
    const g = groups[k % groups.length]!;
    const cycle = Math.floor(k / groups.length) + 1;
    k++;
    const body = data.replace(/"s":\d+/, `"s":${cycle}`);
    const req = grouped ? d.broadcastRequest(g, body) : d.publish(g[0]!, body);
    return [{ ...req, deliveries: g.length * share, channels: g, seq: cycle }];
  };
  return { round, deliveriesPerRound: size * share };
}
