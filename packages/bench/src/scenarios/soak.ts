// The soak (not in CI: 30 minutes by default, `--soak-minutes`): mixed load with churn and stuck readers, and the
// hub's memory over time. Each cycle opens the soak's subscribers (half WebSocket, half SSE) on one channel plus
// a stuck reader of each transport, publishes at a fixed rate for one step, then closes everything (the churn:
// every connection of a cycle is new). All along, every `soakSampleSeconds`, it reads the hub's resident size
// (its process tree, from /proc) and its V8 heap (bench/heap-probe.ts, when the suite preloaded it). "Flat" is
// judged on the second half of the run (memory-trend.ts): the fitted slope and growth there, and the first and
// last samples.

import { describeErrors, openSubscribers, type RunContext } from '../context.ts';
import { type MemorySample, trend } from '../memory-trend.ts';
import { hubHeap, treeRssKb } from '../probes.ts';
import { oneChannel } from '../publisher.ts';
import { emptyResult, type ScenarioResult } from '../results.ts';
import { formatStep, runStep } from '../step.ts';
import { StuckReader } from '../stuck-reader.ts';

const CHANNEL = 'soak:hot';
const MB = 1024 * 1024;

export async function soak(outer: RunContext, subscribers: number): Promise<ScenarioResult> {
  // The soak measures memory, not latency: its steps do not wait for the machine to be quiet.
  const ctx: RunContext = { ...outer, profile: { ...outer.profile, quietWaitMs: 0 } };
  const { profile, target } = ctx;
  const result = emptyResult('soak', 'http', target.name, subscribers);
  const samples: MemorySample[] = [];
  result.memory = samples;
  const t0 = performance.now();
  const sample = (): void => {
    const pid = target.pid;
    const rss = pid === undefined ? undefined : treeRssKb(pid);
    const heap = pid === undefined ? undefined : hubHeap(pid);
    samples.push({
      t: Math.round((performance.now() - t0) / 100) / 10,
      rssMb: rss === undefined ? undefined : Math.round(rss / 102.4) / 10,
      heapMb: heap === undefined ? undefined : Math.round((heap.heapUsed / MB) * 10) / 10,
    });
  };
  sample();
  const timer = setInterval(sample, profile.soakSampleSeconds * 1000);
  const end = t0 + profile.soakMinutes * 60_000;
  let cycles = 0;
  let lost = 0;
  let duplicates = 0;
  let failedOpens = 0;
  let worstP99 = 0;
  let stuckCut = 0;
  try {
    while (performance.now() < end) {
      cycles++;
      const half = Math.ceil(subscribers / 2);
      const ws = await openSubscribers(ctx, 'ws', half, CHANNEL, false);
      const sse = await openSubscribers(ctx, 'sse', subscribers - half, CHANNEL, false);
      failedOpens += ws.failed + sse.failed;
      if (ws.failed + sse.failed > 0 && result.notes.length < 10)
        result.notes.push(
          `cycle ${cycles}: ${ws.failed + sse.failed} failed to open: ${describeErrors({ ...ws.errors, ...sse.errors })}`,
        );
      const subs = ws.ready + sse.ready;
      const stuck = await Promise.all([
        StuckReader.open(target.host, target.port, 'ws', [CHANNEL]),
        StuckReader.open(target.host, target.port, 'sse', [CHANNEL]),
      ]);
      try {
        if (subs > 0) {
          const step = await runStep(ctx, {
            label: `soak cycle ${cycles}`,
            subscribers: subs,
            rate: profile.soakRate / subs,
            deliveriesPerRound: subs,
            round: oneChannel(target.dialect, CHANNEL, subs),
          });
          lost += step.lost;
          duplicates += step.duplicates;
          worstP99 = Math.max(worstP99, step.latency.p99);
          if (cycles === 1 || cycles % 10 === 0) ctx.log(`    ${formatStep(step)}`);
        }
      } finally {
        for (const r of stuck) {
          if (r.closed) stuckCut++;
          r.close();
        }
        await ctx.pool.closeAll();
      }
    }
  } finally {
    clearInterval(timer);
    sample();
  }
  result.subscribers = subscribers;
  const m = result.metrics;
  m.minutes = Math.round((performance.now() - t0) / 6000) / 10;
  m.cycles = cycles;
  m.connections_opened = cycles * (subscribers + 2);
  m.failed_opens = failedOpens;
  m.lost = lost;
  m.duplicates = duplicates;
  m.worst_step_p99_ms = worstP99;
  m.stuck_readers_cut = stuckCut;
  m.samples = samples.length;
  for (const key of ['rssMb', 'heapMb'] as const) {
    const name = key === 'rssMb' ? 'rss' : 'heap';
    const readable = samples.filter((s) => s[key] !== undefined);
    const tr = trend(samples, key, profile.soakMaxGrowthPct);
    if (readable.length > 0) {
      m[`${name}_first_mb`] = readable[0]![key]!;
      m[`${name}_last_mb`] = readable[readable.length - 1]![key]!;
      m[`${name}_max_mb`] = Math.max(...readable.map((s) => s[key]!));
    }
    if (tr === undefined) {
      result.notes.push(`${name}: too few readable samples for a trend`);
      continue;
    }
    m[`${name}_second_half_first_mb`] = tr.first;
    m[`${name}_slope_mb_per_min`] = Math.round(tr.slopeMbPerMin * 1000) / 1000;
    m[`${name}_growth_pct`] = Math.round(tr.growthPct * 10) / 10;
    if (!tr.flat)
      result.notes.push(
        `${name} grew ${m[`${name}_growth_pct`]}% over the second half (more than ${profile.soakMaxGrowthPct}%): not flat`,
      );
  }
  ctx.log(
    `    soak: ${cycles} cycles in ${m.minutes} min; RSS ${m.rss_first_mb} → ${m.rss_last_mb} MB ` +
      `(second half ${m.rss_slope_mb_per_min} MB/min, ${m.rss_growth_pct}%); heap ${m.heap_first_mb} → ` +
      `${m.heap_last_mb} MB (${m.heap_slope_mb_per_min} MB/min); lost ${lost}`,
  );
  return result;
}
