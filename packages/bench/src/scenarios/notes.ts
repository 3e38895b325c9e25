// Shared wording for what limited a scenario's figures.

import type { RampOutcome } from '../ramp.ts';
import type { ScenarioResult, StepResult } from '../results.ts';

/** CPU used by neither side above which a step counts as disturbed (kernel time alone stays below it). */
const DISTURBED = 0.35;

export function rampNotes(r: RampOutcome, boundMs: number): string[] {
  const notes: string[] = [];
  if (r.best === undefined) notes.push(`no step passed (p99 ≤ ${boundMs} ms, nothing lost)`);
  const disturbed = r.steps.filter((s) => (s.otherCpu ?? 0) > DISTURBED);
  if (disturbed.length > 0) {
    const worst = Math.max(...disturbed.map((s) => s.otherCpu ?? 0));
    notes.push(
      `${disturbed.length} step(s) ran with other load on the machine (up to ${Math.round(worst * 100)}% of a core used by neither side): noisy`,
    );
  }
  const f = r.firstFail;
  if (f === undefined) {
    if (r.best !== undefined)
      notes.push('the ramp ended (step or time limit) before any step failed: the max is a floor');
    return notes;
  }
  const why = describeFailure(f);
  if (f.limit === 'both') {
    notes.push(
      `both the hub and the generator were at full CPU (${why}): the figure is the lower of their ceilings, a floor for the hub`,
    );
  } else if (f.limit === 'generator' || r.best?.generatorBound === true) {
    notes.push(`the generator, not the hub, was the limit (${why}): the figure is a floor for the hub`);
  } else if (f.limit === 'publisher') {
    notes.push(`the publisher could not keep the rate (${why}): the figure is a floor for the hub`);
  } else notes.push(`first failing step: ${why}`);
  return notes;
}

/**
 * Marks the ramp's maximum (the `keys` read from `r.best`) unconfirmed when its second step at the same rate
 * failed or never ran, and says which.
 */
export function markConfirmation(result: ScenarioResult, r: RampOutcome, keys: string[]): void {
  if (r.best === undefined || r.confirmation?.pass === true) return;
  result.unconfirmed.push(...keys);
  const c = r.confirmation;
  result.notes.push(
    c === undefined
      ? `the maximum (${r.best.deliveredPerSec}/s) is unconfirmed: no time was left for a second step at its rate`
      : `the maximum (${r.best.deliveredPerSec}/s) is unconfirmed: a second step at its rate failed (${describeFailure(c)})`,
  );
}

/** Says how many publications arrived before their send time by the clocks, which latency leaves out. */
export function clockNotes(steps: StepResult[]): string[] {
  const hit = steps.filter((s) => s.negativeLatency > 0);
  if (hit.length === 0) return [];
  const n = hit.reduce((a, s) => a + s.negativeLatency, 0);
  const min = Math.min(...hit.map((s) => s.minLatencyMs));
  return [
    `${n} publications in ${hit.length} step(s) arrived before their send time by the clocks (down to ${min} ms): left out of the latency percentiles`,
  ];
}

function describeFailure(f: StepResult): string {
  const parts = [`${f.targetPerSec}/s asked, ${f.deliveredPerSec}/s delivered, p99 ${f.latency.p99} ms`];
  if (f.lost > 0) parts.push(`${f.lost} lost`);
  if (f.duplicates > 0) parts.push(`${f.duplicates} duplicates`);
  if (f.dropped > 0) parts.push(`${f.dropped} connections dropped`);
  if (f.publishErrors > 0) parts.push(`${f.publishErrors} publish errors`);
  if (f.publisherSkipped > 0) parts.push(`${f.publisherSkipped} rounds skipped by the publisher`);
  if (f.hubCpu !== undefined) parts.push(`hub cpu ${Math.round(f.hubCpu * 100)}%`);
  parts.push(`generator cpu ${Math.round(f.generatorCpu * 100)}%, loop lag p99 ${f.generatorLagP99} ms`);
  return parts.join(', ');
}

/**
 * An estimate of what the hub's core could deliver: delivered/s ÷ how busy the hub's core was, taken at the
 * busiest passing step that left it below saturation. Linear, so rough (a busier hub batches more), but it
 * says how far past the generator's ceiling a hub would go. Undefined when the hub is not pinned apart.
 */
export function capacityEstimate(steps: StepResult[]): number | undefined {
  let best: StepResult | undefined;
  for (const s of steps) {
    if (!s.pass || s.hubCoreBusy === undefined || s.hubCoreBusy >= 0.9 || s.hubCoreBusy < 0.2) continue;
    if (best === undefined || s.deliveredPerSec > best.deliveredPerSec) best = s;
  }
  if (best?.hubCoreBusy === undefined) return undefined;
  return Math.round(best.deliveredPerSec / best.hubCoreBusy);
}

/** The highest delivered rate of any step that lost nothing, whatever its latency, and that step's p99. */
export function losslessMax(steps: StepResult[]): StepResult | undefined {
  let best: StepResult | undefined;
  for (const s of steps) {
    if (s.lost > 0 || s.duplicates > 0 || s.dropped > 0 || s.deliveredPerSec === 0) continue;
    if (best === undefined || s.deliveredPerSec > best.deliveredPerSec) best = s;
  }
  return best;
}
