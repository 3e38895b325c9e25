// One measured step: publish at a fixed rate, wait for what the hub owes, and judge the step.

import type { RunContext } from './context.ts';
import { Histogram, summarize } from './histogram.ts';
import type { PoolSnapshot } from './pool.ts';
import { allCores, CoreMeter, CpuMeter } from './probes.ts';
import type { Profile } from './profile.ts';
import { expectation, type Round } from './publisher.ts';
import { waitForQuiet } from './quiet.ts';
import type { Limit, StepResult } from './results.ts';

export interface StepSpec {
  label: string;
  subscribers: number;
  /** Publish rounds per second. */
  rate: number;
  /** Deliveries one round owes when all its requests succeed. */
  deliveriesPerRound: number;
  round: Round;
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

/**
 * Runs one step. `latencies`, when given, receives the step's latency histogram (µs) as well, for a scenario
 * that reads more from it than the summary (the histogram scenario re-buckets it).
 */
export async function runStep(ctx: RunContext, spec: StepSpec, latencies?: Histogram): Promise<StepResult> {
  const { pool, publisher, profile } = ctx;
  await waitForQuiet(ctx);
  await pool.snapshot(); // resets the workers' windows
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

  // Drain: tell each subscriber what its channel accepted, then wait until none is owed anything, or until
  // nothing arrives for a while. What is still owed then is lost, per subscriber.
  await pool.expect(expectation(run));
  const totals = zero();
  add(totals, during);
  let s = await pool.snapshot();
  add(totals, s);
  const drainStart = performance.now();
  let lastProgress = drainStart;
  let seen = s.totalReceived;
  while (s.owed > 0) {
    const now = performance.now();
    if (now - lastProgress > profile.drainIdleMs || now - drainStart > profile.drainMaxMs) break;
    await sleep(50);
    s = await pool.snapshot();
    add(totals, s);
    if (s.totalReceived > seen) lastProgress = performance.now();
    seen = s.totalReceived;
  }

  const generatorCpu = during.cpu + coordinatorCpu;
  // CPU used by neither side: other processes on the machine, and kernel time charged to no process.
  const otherCpu = hubCpu === undefined ? undefined : Math.max(0, machineBusy - hubCpu - generatorCpu);
  const generatorBound =
    (generatorCoreBusy !== undefined && generatorCoreBusy >= SATURATED) ||
    generatorCpu >= SATURATED * ctx.generatorCores ||
    during.maxWorkerCpu >= SATURATED ||
    during.lagP99 >= GENERATOR_LAG_MS;
  const lat = summarize(totals.latency);
  latencies?.merge(totals.latency.toPairs(), totals.latency.max);
  const { pass, limit } = judge({
    p99Ms: lat.p99,
    p99BoundMs: profile.p99BoundMs,
    lost: s.owed,
    duplicates: totals.duplicates,
    dropped: totals.dropped,
    publishFailed: run.failed,
    publishSkipped: run.skipped,
    accepted: run.ok,
    received: totals.received,
    hubBusy: Math.max(hubCpu ?? 0, hubCoreBusy ?? 0),
    generatorBusy: Math.max(generatorCoreBusy ?? 0, generatorCpu / ctx.generatorCores),
    generatorBound,
  });
  return {
    label: spec.label,
    subscribers: spec.subscribers,
    rate: round2(spec.rate),
    targetPerSec: Math.round(spec.rate * spec.deliveriesPerRound),
    deliveredPerSec: Math.round(during.received / stepSec),
    latency: lat,
    bytesPerMsg: totals.received === 0 ? 0 : Math.round((totals.bytes / totals.received) * 10) / 10,
    lost: s.owed,
    duplicates: totals.duplicates,
    reordered: totals.reordered,
    dropped: totals.dropped,
    negativeLatency: totals.negative,
    minLatencyMs: Math.round(totals.minLatency) / 1000,
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

/** What a step's pass or fail is judged on. */
export interface StepVerdictInput {
  p99Ms: number;
  p99BoundMs: number;
  /** Sum over subscribers of the publications accepted for their channel and never received. */
  lost: number;
  duplicates: number;
  dropped: number;
  publishFailed: number;
  publishSkipped: number;
  /** Publishes the hub accepted. */
  accepted: number;
  /** Publications received, duplicates included. */
  received: number;
  /** How busy the hub's process or core was (0..1), and the generator's. */
  hubBusy: number;
  generatorBusy: number;
  generatorBound: boolean;
}

/**
 * A step passes when its p99 is within the bound, every subscriber got every publication its channel accepted
 * exactly once (nothing lost, no duplicate, no connection dropped), and every publish was accepted. A failing
 * step is put down to the first limit that explains it.
 */
export function judge(v: StepVerdictInput): { pass: boolean; limit: Limit } {
  const latencyOk = v.p99Ms <= v.p99BoundMs;
  const lossOk = v.lost === 0 && v.dropped === 0;
  const publishOk = v.publishFailed === 0 && v.publishSkipped === 0;
  // A step that delivered nothing proves nothing.
  const pass = latencyOk && lossOk && v.duplicates === 0 && publishOk && v.accepted > 0 && v.received > 0;
  if (pass) return { pass, limit: 'none' };
  // A duplicate is the hub breaking its promise, whatever the load: it is named before any load limit.
  if (v.duplicates > 0) return { pass, limit: 'duplicate' };
  let limit: Limit;
  if (v.hubBusy >= SATURATED && v.generatorBound) limit = v.generatorBusy >= SATURATED ? 'both' : 'hub';
  else if (v.hubBusy >= SATURATED) limit = 'hub';
  else if (v.generatorBound) limit = 'generator';
  else if (!publishOk) limit = 'publisher';
  else if (!lossOk || v.accepted === 0 || v.received === 0) limit = 'loss';
  else limit = 'latency';
  return { pass, limit };
}

interface Totals {
  duplicates: number;
  reordered: number;
  dropped: number;
  bytes: number;
  received: number;
  negative: number;
  minLatency: number;
  latency: Histogram;
}

function zero(): Totals {
  return {
    duplicates: 0,
    reordered: 0,
    dropped: 0,
    bytes: 0,
    received: 0,
    negative: 0,
    minLatency: 0,
    latency: new Histogram(),
  };
}

function add(t: Totals, s: PoolSnapshot): void {
  t.duplicates += s.duplicates;
  t.reordered += s.reordered;
  t.dropped += s.dropped;
  t.bytes += s.bytes;
  t.received += s.received;
  t.negative += s.negative;
  t.minLatency = Math.min(t.minLatency, s.minLatency);
  t.latency.merge(s.latency.toPairs(), s.latency.max);
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
  const clock =
    s.negativeLatency === 0 ? '' : `, ${s.negativeLatency} before their send time (to ${s.minLatencyMs} ms)`;
  const flags = [s.pass ? 'pass' : `FAIL(${s.limit})`, s.generatorBound ? 'generator-bound' : ''].filter(
    Boolean,
  );
  return (
    `${s.label}: asked ${s.targetPerSec}/s, delivered ${s.deliveredPerSec}/s, ` +
    `p50 ${s.latency.p50} ms p99 ${s.latency.p99} ms, lost ${s.lost}, duplicates ${s.duplicates}${clock}, ` +
    `gen cpu ${pct(s.generatorCpu)}${hub}${cores}${other} → ${flags.join(' ')}`
  );
}
