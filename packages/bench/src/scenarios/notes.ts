// Shared wording for what limited a scenario's figures.

import type { RampOutcome } from '../ramp.ts';
import type { StepResult } from '../results.ts';

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

function describeFailure(f: StepResult): string {
  const parts = [`${f.targetPerSec}/s asked, ${f.deliveredPerSec}/s delivered, p99 ${f.latency.p99} ms`];
  if (f.lost > 0) parts.push(`${f.lost} lost`);
  if (f.undelivered > 0) parts.push(`${f.undelivered} undelivered`);
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
    if (s.lost > 0 || s.undelivered > 0 || s.dropped > 0 || s.deliveredPerSec === 0) continue;
    if (best === undefined || s.deliveredPerSec > best.deliveredPerSec) best = s;
  }
  return best;
}
