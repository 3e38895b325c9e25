// The shape of what a run reports: one record per scenario, transport and size, JSON-ready.

import type { Transport } from './dialect.ts';
import type { LatencySummary } from './histogram.ts';
import type { MemorySample } from './memory-trend.ts';
import type { ScenarioName } from './profile.ts';

/**
 * What limited a step that failed, as far as the generator can tell (`both`: hub and generator at full CPU;
 * `duplicate`: a subscriber got a publication twice, which fails a step whatever the load).
 */
export type Limit = 'hub' | 'generator' | 'both' | 'publisher' | 'latency' | 'loss' | 'duplicate' | 'none';

export interface StepResult {
  label: string;
  subscribers: number;
  /** Publish rounds per second asked of the publisher. */
  rate: number;
  /** Deliveries per second asked (rate × deliveries per round). */
  targetPerSec: number;
  /** Publications the generator received per second during the step. */
  deliveredPerSec: number;
  latency: LatencySummary;
  /** Bytes the generator read per publication received (frames, heartbeats and framing included). */
  bytesPerMsg: number;
  /**
   * Publications accepted for a subscriber's channel during the step that the subscriber had not received by
   * the end of the drain, summed over subscribers (gaps and the tail alike).
   */
  lost: number;
  /** Publications a subscriber received more than once, summed over subscribers: any fails the step. */
  duplicates: number;
  /** Publications that arrived after a higher sequence number on the same subscriber (late, not lost). */
  reordered: number;
  dropped: number;
  /**
   * Publications received before their send time by the two clocks (they disagree): left out of the latency
   * percentiles, counted here; `minLatencyMs` is the most negative receive-minus-send time (0 when none).
   */
  negativeLatency: number;
  minLatencyMs: number;
  publishErrors: number;
  publisherSkipped: number;
  /** CPU of the hub process tree (1 = one core), when its pid is known. */
  hubCpu: number | undefined;
  /** How busy the hub's pinned core(s) were, interrupts and kernel time included (0..1). */
  hubCoreBusy: number | undefined;
  /** How busy the generator's pinned core(s) were (0..1). */
  generatorCoreBusy: number | undefined;
  /** CPU of the generator: workers plus coordinator (1 = one core). */
  generatorCpu: number;
  generatorLagP99: number;
  /**
   * CPU (1 = one core) used by neither the hub nor the generator during the step: other processes on the
   * machine, plus kernel network time charged to no process. Well above ~0.3 means the step was disturbed.
   */
  otherCpu: number | undefined;
  generatorBound: boolean;
  pass: boolean;
  limit: Limit;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  transport: Transport | 'http';
  target: string;
  /** Subscribers asked for. */
  requested: number;
  /** Subscribers that were live (fewer when some could not connect). */
  subscribers: number;
  /** Headline figures, by stable key (see docs/benchmarks.md). */
  metrics: Record<string, number>;
  steps: StepResult[];
  /** Why a figure is missing, or caveats (the generator was the limit, connections failed…). */
  notes: string[];
  /**
   * Metric keys whose figure a second trial at the same rate did not confirm (it failed, or there was no time
   * to run it). A maximum not listed here passed twice.
   */
  unconfirmed: string[];
  /** The hub's memory over time (the soak), one sample every few seconds. */
  memory?: MemorySample[];
}

/** A scenario's result before anything is measured: `n` subscribers asked for, no figures yet. */
export function emptyResult(
  scenario: ScenarioName,
  transport: Transport | 'http',
  target: string,
  n: number,
): ScenarioResult {
  return {
    scenario,
    transport,
    target,
    requested: n,
    subscribers: n,
    metrics: {},
    steps: [],
    notes: [],
    unconfirmed: [],
  };
}
