// One stuck reader among healthy ones: 1,000 subscribers on a hot channel, and one more that subscribed and then
// stopped reading its socket. For each delivery policy, the same fixed-rate step runs with the stuck reader
// absent, then present (its socket first filled by publications to a channel only it subscribes to, so the hub
// faces a full socket, not a kernel buffer that still has room): the healthy readers' latency, the hub's memory
// (resident size of its process tree) and the bytes it holds for its connections (`switchboard_outgoing_bytes`).

import { describeErrors, openSubscribers, type RunContext } from '../context.ts';
import type { Transport } from '../dialect.ts';
import { treeRssKb } from '../probes.ts';
import { oneChannel } from '../publisher.ts';
import { emptyResult, type ScenarioResult, type StepResult } from '../results.ts';
import { formatStep, runStep, type StepSpec } from '../step.ts';
import { StuckReader } from '../stuck-reader.ts';
import { STUCK_POLICIES, type StuckPolicy, stuckNamespace } from './stuck-policies.ts';

/** Publications that fill the stuck reader's socket: big, so a few hundred requests do it. */
const FILL_DATA_BYTES = 48 * 1024;
const FILL_IN_FLIGHT = 8;

export async function stuck(ctx: RunContext, transport: Transport): Promise<ScenarioResult> {
  const { profile, target } = ctx;
  const n = profile.stuckSubscribers;
  const result = emptyResult('stuck', transport, target.name, n);
  for (const policy of STUCK_POLICIES) {
    try {
      await onePolicy(ctx, transport, policy, result);
    } finally {
      await ctx.pool.closeAll();
    }
  }
  return result;
}

async function onePolicy(
  ctx: RunContext,
  transport: Transport,
  policy: StuckPolicy,
  result: ScenarioResult,
): Promise<void> {
  const { profile, target } = ctx;
  const ns = stuckNamespace(policy);
  const hot = `${ns}:hot`;
  const opened = await openSubscribers(ctx, transport, profile.stuckSubscribers, hot, false);
  ctx.log(`    ${policy}: ${opened.ready}/${profile.stuckSubscribers} healthy subscribers live`);
  if (opened.failed > 0)
    result.notes.push(`${policy}: ${opened.failed} failed: ${describeErrors(opened.errors)}`);
  const subs = opened.ready;
  if (subs === 0) return;
  result.subscribers = subs;
  const spec = (label: string): StepSpec => ({
    label: `${policy} ${label}`,
    subscribers: subs,
    rate: profile.stuckRate / subs,
    deliveriesPerRound: subs,
    round: oneChannel(target.dialect, hot, subs),
  });
  const m = result.metrics;

  const absent = await measured(ctx, () => runStep(ctx, spec('stuck reader absent')));
  ctx.log(`    ${formatStep(absent.step)}`);
  result.steps.push(absent.step);
  m[`${policy}_p99_absent_ms`] = absent.step.latency.p99;
  m[`${policy}_rss_absent_mb`] = absent.rssMb;
  m[`${policy}_outgoing_absent_kb`] = absent.outgoingKb;

  const cutBefore = await slowConsumerDisconnects(ctx);
  const reader = await StuckReader.open(target.host, target.port, transport, [hot, `${ns}:fill`]);
  try {
    // The peak is taken over the fill too: that is when a policy that holds everything would hold the most.
    const present = await measured(ctx, async () => {
      await fill(ctx, `${ns}:fill`, profile.stuckFillBytes);
      return runStep(ctx, spec('stuck reader present'));
    });
    ctx.log(`    ${formatStep(present.step)}`);
    result.steps.push(present.step);
    // A paused socket never sees the hub's close, so the hub's own count says whether it cut the reader off.
    const cut = ((await slowConsumerDisconnects(ctx)) ?? 0) - (cutBefore ?? 0);
    m[`${policy}_p99_present_ms`] = present.step.latency.p99;
    m[`${policy}_rss_present_mb`] = present.rssMb;
    m[`${policy}_outgoing_present_kb`] = present.outgoingKb;
    m[`${policy}_stuck_disconnected`] = cut;
    ctx.log(
      `    ${policy}: hub RSS peak ${absent.rssMb} → ${present.rssMb} MB, bytes held peak ${absent.outgoingKb} → ` +
        `${present.outgoingKb} KB, stuck reader ${cut > 0 ? 'disconnected (4001)' : 'still connected'}`,
    );
  } finally {
    reader.close();
  }
}

/** Runs a step while sampling the hub's peak resident size and peak outgoing bytes. */
async function measured(ctx: RunContext, step: () => Promise<StepResult>) {
  let rssKb = 0;
  let outgoing = 0;
  let sampling = Promise.resolve();
  const sample = (): void => {
    const pid = ctx.target.pid;
    const rss = pid === undefined ? undefined : treeRssKb(pid);
    if (rss !== undefined) rssKb = Math.max(rssKb, rss);
    sampling = outgoingBytes(ctx).then((b) => {
      if (b !== undefined) outgoing = Math.max(outgoing, b);
    });
  };
  sample();
  const timer = setInterval(sample, 200);
  try {
    const s = await step();
    sample();
    await sampling;
    return { step: s, rssMb: Math.round(rssKb / 102.4) / 10, outgoingKb: Math.round(outgoing / 1024) };
  } finally {
    clearInterval(timer);
  }
}

/** One series of the hub's Prometheus metrics, or undefined when it cannot be read. */
async function metric(ctx: RunContext, series: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://${ctx.target.host}:${ctx.target.port}/metrics`);
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  } catch {
    return undefined; // the probe is best effort: a missing figure is reported as such, never as a failure
  }
}

const outgoingBytes = (ctx: RunContext) => metric(ctx, 'switchboard_outgoing_bytes');
const slowConsumerDisconnects = (ctx: RunContext) =>
  metric(ctx, 'switchboard_disconnects_total{reason="slow_consumer"}');

/** Publishes `bytes` of big publications to `channel` (only the stuck reader subscribes to it). */
async function fill(ctx: RunContext, channel: string, bytes: number): Promise<void> {
  const { target } = ctx;
  const body = JSON.stringify({ channel, data: { fill: 'x'.repeat(FILL_DATA_BYTES) } });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.apiKey !== undefined) headers.authorization = `Bearer ${target.apiKey}`;
  const url = `http://${target.host}:${target.port}/api/publish`;
  let left = Math.ceil(bytes / FILL_DATA_BYTES);
  const worker = async (): Promise<void> => {
    while (left-- > 0) {
      const res = await fetch(url, { method: 'POST', headers, body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`fill publish failed: HTTP ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: FILL_IN_FLIGHT }, worker));
}
