// Connection storm and idle connections, from one open phase: open N subscribers as fast as the hub takes
// them (connections live per second, connect-to-subscribed time), in two halves; the hub's resident memory is
// read after each half settles, and (RSS after − RSS between) / connections of the second half is the cost of
// one idle connection.

import { describeErrors, openSubscribers, type RunContext } from '../context.ts';
import type { Transport } from '../dialect.ts';
import { summarize } from '../histogram.ts';
import { treeRssKb } from '../probes.ts';
import { waitForQuiet } from '../quiet.ts';
import { emptyResult, type ScenarioResult } from '../results.ts';

const CHANNEL = 'bench-idle';

export interface ConnectionsWanted {
  storm: boolean;
  idle: boolean;
}

export async function connections(
  ctx: RunContext,
  transport: Transport,
  n: number,
  wanted: ConnectionsWanted,
): Promise<ScenarioResult[]> {
  const { target, profile } = ctx;
  const storm = emptyResult('storm', transport, target.name, n);
  const idle = emptyResult('idle', transport, target.name, n);
  try {
    const pid = target.pid;
    // Two halves: memory is read after each, and the cost per connection is the second half's delta. The
    // first half absorbs what a hub allocates once (code compiled on first use, heap growth, buffers).
    const half = Math.floor(n / 2);
    await waitForQuiet(ctx);
    await ctx.pool.snapshot(); // start the generator's CPU window
    const first = await openSubscribers(ctx, transport, half, CHANNEL, false);
    await new Promise((r) => setTimeout(r, profile.settleMs));
    const before = pid === undefined ? undefined : treeRssKb(pid);
    const genCpu = ctx.pool.snapshot();
    const second = await openSubscribers(ctx, transport, n - half, CHANNEL, false);
    const gen = await genCpu;
    const genAfter = await ctx.pool.snapshot();
    const live = first.ready + second.ready;
    storm.subscribers = live;
    idle.subscribers = live;
    const ms = first.ms + second.ms;
    ctx.log(`    ${live}/${n} connections live in ${Math.round(ms)} ms`);
    const failed = first.failed + second.failed;
    if (failed > 0) {
      const errors = { ...first.errors };
      for (const [k, v] of Object.entries(second.errors)) errors[k] = (errors[k] ?? 0) + v;
      const note = `${failed} of ${n} connections failed: ${describeErrors(errors)}`;
      storm.notes.push(note);
      idle.notes.push(note);
    }
    const setup = first.setup;
    setup.merge(second.setup.toPairs(), second.setup.max);
    const s = summarize(setup);
    storm.metrics.conn_per_s = Math.round(live / (ms / 1000));
    storm.metrics.setup_p50_ms = s.p50;
    storm.metrics.setup_p99_ms = s.p99;
    storm.metrics.failed = failed;
    const cpu = Math.max(gen.cpu, genAfter.cpu);
    storm.metrics.generator_cpu = Math.round(cpu * 100) / 100;
    if (cpu >= 0.9 * ctx.generatorCores || Math.max(gen.maxWorkerCpu, genAfter.maxWorkerCpu) >= 0.9) {
      storm.notes.push('the generator was at full CPU while opening: the hub may accept connections faster');
    }
    if (wanted.idle) {
      await new Promise((r) => setTimeout(r, profile.settleMs));
      const after = pid === undefined ? undefined : treeRssKb(pid);
      if (before === undefined || after === undefined || second.ready === 0) {
        idle.notes.push('hub memory not readable (no pid of a local hub process): pass --pid to measure it');
      } else {
        idle.metrics.kb_per_conn = Math.round(((after - before) / second.ready) * 100) / 100;
        idle.metrics.rss_before_mb = Math.round(before / 102.4) / 10;
        idle.metrics.rss_after_mb = Math.round(after / 102.4) / 10;
      }
    }
  } finally {
    await ctx.pool.closeAll();
  }
  return [...(wanted.storm ? [storm] : []), ...(wanted.idle ? [idle] : [])];
}
