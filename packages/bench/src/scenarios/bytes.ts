// Bytes on the wire per delivered message: a few subscribers, a low fixed rate, every byte the generator
// reads (frame headers, SSE fields, ids, heartbeats, chunk framing) divided by the publications received.

import { openSubscribers, type RunContext } from '../context.ts';
import type { Transport } from '../dialect.ts';
import { oneChannel } from '../publisher.ts';
import { emptyResult, type ScenarioResult } from '../results.ts';
import { formatStep, runStep } from '../step.ts';

const CHANNEL = 'bench-bytes';

export async function bytesOnWire(ctx: RunContext, transport: Transport): Promise<ScenarioResult> {
  const { profile, target, publisher } = ctx;
  const n = profile.bytesSubscribers;
  const result = emptyResult('bytes', transport, target.name, n);
  try {
    const opened = await openSubscribers(ctx, transport, n, CHANNEL, false);
    if (opened.ready === 0) {
      result.notes.push('no subscriber could connect');
      return result;
    }
    const subs = opened.ready;
    const s = await runStep(ctx, {
      label: 'bytes',
      subscribers: subs,
      rate: profile.bytesRate,
      deliveriesPerRound: subs,
      round: oneChannel(target.dialect, CHANNEL, subs),
    });
    ctx.log(`    ${formatStep(s)}`);
    result.steps.push(s);
    const payload = Buffer.byteLength(publisher.payload(1));
    result.metrics.bytes_per_msg = s.bytesPerMsg;
    result.metrics.payload_bytes = payload;
    result.metrics.overhead_bytes = Math.round((s.bytesPerMsg - payload) * 10) / 10;
    return result;
  } finally {
    await ctx.pool.closeAll();
  }
}
