// One measured step: publish at a fixed rate, wait for what the hub owes, and judge the step.

import type { RunContext } from './context.ts';
import { Histogram, summarize } from './histogram.ts';
import type { PoolSnapshot } from './pool.ts';
import { allCores, CoreMeter, CpuMeter } from './probes.ts';
import type { Profile } from './profile.ts';
import type { RoundRequest } from './publisher.ts';
import { waitForQuiet } from './quiet.ts';
import type { Limit, StepResult } from './results.ts';

export interface StepSpec {
  label: string;
  subscribers: number;
  /** Publish rounds per second. */
  rate: number;
  /** Deliveries one round owes when all its requests succeed. */
  deliveriesPerRound: number;
  round: (data: string) => RoundRequest[];
}

/** CPU (fraction of a core) at which a process counts as saturated. */
const SATURATED = 0.9;
/**
 * Event-loop delay (ms) at which the generator counts as the limit: it reads late, so latency is its own.
 * High, because reading one burst to 10,000 sockets legitimately holds the loop for tens of milliseconds.
 */
const GENERATOR_LAG_MS = 200;

/** A step lasts `stepMs`, or longer when that would hold fewer than `minRoundsPerStep` rounds (large fan-outs). */
export function stepLength(profile: Profile, rate: number): number {
  const needed = (profile.minRoundsPerStep / rate) * 1000;
  return Math.min(Math.max(profile.stepMs, needed), profile.maxStepMs);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runStep(ctx: RunContext, spec: StepSpec): Promise<StepResult> {
  const { pool, publisher, profile } = ctx;
  await waitForQuiet(ctx);
  const start = await pool.snapshot(); // resets the workers' windows
  const hub = new CpuMeter(ctx.target.pid);
  const hubCores = ctx.pinned === undefined ? undefined : new CoreMeter(ctx.pinned.hub);
  const genCores = ctx.pinned === undefined ? undefined : new CoreMeter(ctx.pinned.generator);
  const machine = new CoreMeter(allCores());
  const self = process.cpuUsage();
  const t0 = performance.now();
  const run = await publisher.runRate(spec.rate, stepLength(profile, spec.rate), spec.round);
  const during = await pool.snapshot();
  const stepSec = (performance.now() - t0) / 1000;
  const hubCpu = hub.lap();
  const hubCoreBusy = hubCores?.lap();
  const generatorCoreBusy = genCores?.lap();
  const machineBusy = (machine.lap() ?? 0) * allCores().length;
  const selfUse = process.cpuUsage(self);
  const coordinatorCpu = (selfUse.user + selfUse.system) / 1e6 / stepSec;

  // Drain: wait for the deliveries the hub owes, until none arrive for a while.
  const base = start.totalReceived;
  const latency = new Histogram();
  latency.merge(during.latency.toPairs(), during.latency.max);
  const totals = sum(during);
  let received = during.totalReceived - base;
  const drainStart = performance.now();
  let lastProgress = drainStart;
  while (received < run.expected) {
    const now = performance.now();
    if (now - lastProgress > profile.drainIdleMs || now - drainStart > profile.drainMaxMs) break;
    await sleep(50);
    const s = await pool.snapshot();
    latency.merge(s.latency.toPairs(), s.latency.max);
    add(totals, s);
    if (s.totalReceived - base > received) lastProgress = performance.now();
    received = s.totalReceived - base;
  }

  const generatorCpu = during.cpu + coordinatorCpu;
  // CPU used by neither side: other processes on the machine, and kernel time charged to no process.
  const otherCpu = hubCpu === undefined ? undefined : Math.max(0, machineBusy - hubCpu - generatorCpu);
  const generatorBound =
    (generatorCoreBusy !== undefined && generatorCoreBusy >= SATURATED) ||
    generatorCpu >= SATURATED * ctx.generatorCores ||
    during.maxWorkerCpu >= SATURATED ||
    during.lagP99 >= GENERATOR_LAG_MS;
  const lat = summarize(latency);
  const undelivered = Math.max(0, run.expected - received);
  const latencyOk = lat.p99 <= profile.p99BoundMs;
  const lossOk = totals.lost === 0 && undelivered === 0 && totals.dropped === 0;
  const publishOk = run.failed === 0 && run.skipped === 0;
  // A step that delivered nothing proves nothing.
  const pass = latencyOk && lossOk && publishOk && run.expected > 0 && received > 0;
  const hubBusy = Math.max(hubCpu ?? 0, hubCoreBusy ?? 0);
  const genBusy = Math.max(generatorCoreBusy ?? 0, generatorCpu / ctx.generatorCores);
  let limit: Limit = 'none';
  if (!pass) {
    if (hubBusy >= SATURATED && generatorBound) limit = genBusy >= SATURATED ? 'both' : 'hub';
    else if (hubBusy >= SATURATED) limit = 'hub';
    else if (generatorBound) limit = 'generator';
    else if (!publishOk) limit = 'publisher';
    else if (!lossOk) limit = 'loss';
    else limit = 'latency';
  }
  return {
    label: spec.label,
    subscribers: spec.subscribers,
    rate: round2(spec.rate),
    targetPerSec: Math.round(spec.rate * spec.deliveriesPerRound),
    deliveredPerSec: Math.round(during.received / stepSec),
    latency: lat,
    bytesPerMsg: totals.received === 0 ? 0 : Math.round((totals.bytes / totals.received) * 10) / 10,
    lost: totals.lost,
    undelivered,
    reordered: totals.reordered,
    dropped: totals.dropped,
    publishErrors: run.failed,
    publisherSkipped: run.skipped,
    hubCpu: hubCpu === undefined ? undefined : round2(hubCpu),
    hubCoreBusy: hubCoreBusy === undefined ? undefined : round2(hubCoreBusy),
    generatorCoreBusy: generatorCoreBusy === undefined ? undefined : round2(generatorCoreBusy),
    generatorCpu: round2(generatorCpu),
    otherCpu: otherCpu === undefined ? undefined : round2(otherCpu),
    generatorLagP99: round2(during.lagP99),
    generatorBound,
    pass,
    limit,
  };
}

interface Totals {
  lost: number;
  reordered: number;
  dropped: number;
  bytes: number;
  received: number;
}

function sum(s: PoolSnapshot): Totals {
  return { lost: s.lost, reordered: s.reordered, dropped: s.dropped, bytes: s.bytes, received: s.received };
}

function add(t: Totals, s: PoolSnapshot): void {
  t.lost += s.lost;
  t.reordered += s.reordered;
  t.dropped += s.dropped;
  t.bytes += s.bytes;
  t.received += s.received;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function formatStep(s: StepResult): string {
  const pct = (n: number | undefined): string => (n === undefined ? '?' : `${Math.round(n * 100)}%`);
  const hub = s.hubCpu === undefined ? '' : ` hub cpu ${pct(s.hubCpu)}`;
  const cores =
    s.hubCoreBusy === undefined
      ? ''
      : ` (cores busy: hub ${pct(s.hubCoreBusy)}, gen ${pct(s.generatorCoreBusy)})`;
  const other = s.otherCpu === undefined ? '' : `, other ${pct(s.otherCpu)}`;
  const flags = [s.pass ? 'pass' : `FAIL(${s.limit})`, s.generatorBound ? 'generator-bound' : ''].filter(
    Boolean,
  );
  return (
    `${s.label}: asked ${s.targetPerSec}/s, delivered ${s.deliveredPerSec}/s, ` +
    `p50 ${s.latency.p50} ms p99 ${s.latency.p99} ms, lost ${s.lost}, undelivered ${s.undelivered}, ` +
    `gen cpu ${pct(s.generatorCpu)}${hub}${cores}${other} → ${flags.join(' ')}`
  );
}
