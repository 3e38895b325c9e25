// The ramp's decisions with scripted step results: doubling until a step fails, bisecting, walking down when
// the first step fails, and the second trial that confirms the maximum or leaves it marked unconfirmed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunContext } from './context.ts';
import { FULL } from './profile.ts';
import { ramp, type StepRunner } from './ramp.ts';
import { emptyResult, type StepResult } from './results.ts';
import { markConfirmation } from './scenarios/notes.ts';
import type { StepSpec } from './step.ts';

/** Only what the ramp reads: its profile and log. The scripted runner never touches a hub. */
const ctx = { profile: { ...FULL, refine: 2 }, log: () => {} } as unknown as RunContext;

const at = (perSec: number, label: string): StepSpec => ({
  label,
  subscribers: 1000,
  rate: perSec / 1000,
  deliveriesPerRound: 1000,
  round: () => [],
});

function result(spec: StepSpec, pass: boolean): StepResult {
  const perSec = Math.round(spec.rate * spec.deliveriesPerRound);
  return {
    label: spec.label,
    subscribers: spec.subscribers,
    rate: spec.rate,
    targetPerSec: perSec,
    deliveredPerSec: pass ? perSec : Math.round(perSec * 0.8),
    latency: { count: 1, p50: 5, p90: 9, p99: pass ? 10 : 400, max: 500 },
    bytesPerMsg: 100,
    lost: 0,
    duplicates: 0,
    reordered: 0,
    dropped: 0,
    negativeLatency: 0,
    minLatencyMs: 0,
    publishErrors: 0,
    publisherSkipped: 0,
    hubCpu: 0.5,
    hubCoreBusy: undefined,
    generatorCoreBusy: undefined,
    generatorCpu: 0.5,
    generatorLagP99: 10,
    otherCpu: 0,
    generatorBound: false,
    pass,
    limit: pass ? 'none' : 'latency',
  };
}

/** Passes every step at or under `capacity` deliveries/s, except the labels listed in `failing`. */
function script(capacity: number, failing: string[] = []): { run: StepRunner; labels: string[] } {
  const labels: string[] = [];
  const run: StepRunner = async (_ctx, spec) => {
    labels.push(spec.label);
    const perSec = spec.rate * spec.deliveriesPerRound;
    return result(spec, perSec <= capacity && !failing.includes(spec.label));
  };
  return { run, labels };
}

const far = (): number => performance.now() + 3_600_000;

test('doubles until a step fails, bisects twice, then confirms the maximum at the same rate', async () => {
  const { run, labels } = script(70_000);
  const r = await ramp(ctx, 20_000, far(), at, run);
  assert.deepEqual(labels, ['warm-up', 'ramp 1', 'ramp 2', 'ramp 3', 'bisect 1', 'bisect 2', 'confirm max']);
  assert.equal(r.firstFail?.targetPerSec, 80_000);
  assert.equal(r.best?.label, 'bisect 2'); // √(56,569 × 80,000) ≈ 67,272 passed
  assert.equal(r.confirmation?.targetPerSec, r.best?.targetPerSec);
  assert.equal(r.confirmation?.pass, true);
  const res = emptyResult('fanout', 'ws', 'hub', 1000);
  markConfirmation(res, r, ['max_delivered_per_s']);
  assert.deepEqual(res.unconfirmed, []);
});

test('a maximum whose second step fails is kept but marked unconfirmed, with the failure in the notes', async () => {
  const { run } = script(70_000, ['confirm max']);
  const r = await ramp(ctx, 20_000, far(), at, run);
  assert.equal(r.confirmation?.pass, false);
  assert.equal(r.best?.label, 'bisect 2'); // the confirmation does not replace the best step
  assert.ok(r.steps.includes(r.confirmation!), 'the confirmation is reported among the steps');
  const res = emptyResult('fanout', 'ws', 'hub', 1000);
  markConfirmation(res, r, ['max_delivered_per_s', 'p99_at_max_ms']);
  assert.deepEqual(res.unconfirmed, ['max_delivered_per_s', 'p99_at_max_ms']);
  assert.match(res.notes.join('\n'), /unconfirmed: a second step at its rate failed \(67,?272\/s asked/);
});

test('a maximum with no time for its second step is marked unconfirmed', async () => {
  const { run } = script(70_000);
  const r = await ramp(ctx, 20_000, far(), at, run);
  const res = emptyResult('fanout', 'ws', 'hub', 1000);
  markConfirmation(res, { ...r, confirmation: undefined }, ['max_delivered_per_s']);
  assert.deepEqual(res.unconfirmed, ['max_delivered_per_s']);
  assert.match(res.notes.join('\n'), /no time was left/);
});

test('when the first step fails the ramp walks down until one passes, then bisects and confirms', async () => {
  const { run, labels } = script(7_000);
  const r = await ramp(ctx, 20_000, far(), at, run);
  assert.deepEqual(labels, ['warm-up', 'ramp 1', 'down 1', 'down 2', 'bisect 1', 'bisect 2', 'confirm max']);
  // 20,000 and 10,000 failed, 5,000 passed; √(5,000 × 10,000) ≈ 7,071 failed, √(5,000 × 7,071) ≈ 5,946 passed.
  assert.equal(r.best?.targetPerSec, 5_946);
  assert.equal(r.confirmation?.pass, true);
});

test('nothing passing: no best, no confirmation', async () => {
  const { run } = script(0);
  const r = await ramp(ctx, 20_000, far(), at, run);
  assert.equal(r.best, undefined);
  assert.equal(r.confirmation, undefined);
});
