import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MemorySample, slope, trend } from './memory-trend.ts';

test('slope: least squares over literal points', () => {
  assert.equal(slope([0, 1, 2, 3], [10, 12, 14, 16]), 2);
  assert.equal(slope([0, 1, 2, 3], [5, 5, 5, 5]), 0);
  // y = 1, 3, 2, 4 over x = 0..3: mean x 1.5, mean y 2.5; Σdxdy = 2.25 - 0.25 - 0.25 + 2.25 = 4, Σdx² = 5.
  assert.equal(slope([0, 1, 2, 3], [1, 3, 2, 4]), 0.8);
  assert.equal(slope([1], [1]), 0);
  assert.equal(slope([2, 2], [1, 5]), 0);
});

const s = (t: number, rssMb: number | undefined, heapMb?: number): MemorySample => ({ t, rssMb, heapMb });

test('trend: only the second half counts (the warm-up is left out)', () => {
  // Rises 100 → 200 in the first half, flat at 200 in the second.
  const samples = [s(0, 100), s(60, 150), s(120, 200), s(180, 200), s(240, 200)];
  const r = trend(samples, 'rssMb', 5)!;
  assert.equal(r.samples, 3);
  assert.equal(r.first, 200);
  assert.equal(r.last, 200);
  assert.equal(r.slopeMbPerMin, 0);
  assert.equal(r.growthPct, 0);
  assert.equal(r.flat, true);
});

test('trend: a steady rise in the second half is growth, and past the bound not flat', () => {
  // 200 → 230 over the second half (120 s): 15 MB/min, fitted growth 15%.
  const samples = [s(0, 200), s(120, 200), s(180, 215), s(240, 230)];
  const r = trend(samples, 'rssMb', 10)!;
  assert.equal(r.samples, 3);
  assert.equal(r.slopeMbPerMin, 15);
  assert.equal(r.growthPct, 15);
  assert.equal(r.flat, false);
  assert.equal(trend(samples, 'rssMb', 20)!.flat, true);
});

test('trend: unreadable samples are skipped; too few gives undefined', () => {
  assert.equal(trend([], 'rssMb', 5), undefined);
  assert.equal(trend([s(0, 1), s(10, undefined), s(20, 3)], 'rssMb', 5), undefined);
  const r = trend([s(0, 1, 50), s(10, 1, undefined), s(20, 1, 52), s(30, 1, 54)], 'heapMb', 5)!;
  assert.equal(r.samples, 2);
  assert.equal(r.first, 52);
  assert.equal(r.last, 54);
});
