// Publish latency through the HTTP API: POST round trips at a fixed rate to a channel nobody subscribes to,
// then the most publishes per second a few keep-alive connections get answered (closed loop).

import type { RunContext } from '../context.ts';
import { summarize } from '../histogram.ts';
import { emptyResult, type ScenarioResult } from '../results.ts';

const CHANNEL = 'bench-pub';

export async function publishLatency(ctx: RunContext): Promise<ScenarioResult> {
  const { profile, publisher, target } = ctx;
  const result = emptyResult('publish', 'http', target.name, 0);
  // Nobody subscribes: nothing is owed.
  const one = (data: string, seq: number) => ({
    ...target.dialect.publish(CHANNEL, data),
    deliveries: 0,
    channels: [],
    seq,
  });
  const fixed = await publisher.runRate(profile.publishRate, profile.publishMs, (data, seq) => [
    one(data, seq),
  ]);
  const rtt = summarize(fixed.rtt);
  result.metrics.rate = profile.publishRate;
  result.metrics.rtt_p50_ms = rtt.p50;
  result.metrics.rtt_p99_ms = rtt.p99;
  result.metrics.rtt_max_ms = rtt.max;
  if (fixed.failed > 0)
    result.notes.push(`${fixed.failed} publishes failed: ${JSON.stringify(fixed.errors)}`);
  if (fixed.skipped > 0) result.notes.push(`${fixed.skipped} rounds skipped (too many in flight)`);
  const closed = await publisher.runClosedLoop(profile.publishConcurrency, profile.publishMs, one);
  const c = summarize(closed.rtt);
  result.metrics.max_publish_per_s = Math.round(closed.ok / (closed.ms / 1000));
  result.metrics.closed_loop_p99_ms = c.p99;
  if (closed.failed > 0) result.notes.push(`${closed.failed} closed-loop publishes failed`);
  ctx.log(
    `    ${profile.publishRate}/s: rtt p50 ${rtt.p50} ms p99 ${rtt.p99} ms; ` +
      `closed loop ×${profile.publishConcurrency}: ${result.metrics.max_publish_per_s}/s p99 ${c.p99} ms`,
  );
  return result;
}
