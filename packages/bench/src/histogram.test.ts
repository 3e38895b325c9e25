import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketMiddle, Histogram, summarize } from './histogram.ts';

test('percentiles are within the bucket precision', () => {
  const h = new Histogram();
  for (let us = 1; us <= 100_000; us++) h.record(us);
  const p50 = h.percentile(0.5);
  const p99 = h.percentile(0.99);
  assert.ok(Math.abs(p50 - 50_000) / 50_000 < 0.04, `p50 ${p50}`);
  assert.ok(Math.abs(p99 - 99_000) / 99_000 < 0.04, `p99 ${p99}`);
  assert.equal(h.max, 100_000);
  assert.equal(h.count, 100_000);
});

test('small values are exact and an empty histogram reads 0', () => {
  const h = new Histogram();
  assert.equal(h.percentile(0.99), 0);
  h.record(3);
  h.record(7);
  assert.equal(h.percentile(0.5), 3);
  assert.equal(h.percentile(1), 7);
});

test('merging pairs equals recording into one histogram', () => {
  const a = new Histogram();
  const b = new Histogram();
  const all = new Histogram();
  for (let i = 0; i < 1000; i++) {
    const v = (i * 7919) % 50_000;
    (i % 2 === 0 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b.toPairs(), b.max);
  assert.deepEqual(a.toPairs(), all.toPairs());
  assert.deepEqual(summarize(a), summarize(all));
});

test("a bucket's middle lies inside the values it counts", () => {
  const h = new Histogram();
  // Below 32 µs a bucket holds one value: its middle is that value.
  h.record(7);
  assert.deepEqual(h.toPairs(), [[7, 1]]);
  assert.equal(bucketMiddle(7), 7);
  // 992 µs and 1,007 µs share a bucket 16 µs wide (values 992..1007): its middle is 999.5.
  h.reset();
  h.record(992);
  h.record(1007);
  const pairs = h.toPairs();
  assert.equal(pairs.length, 1);
  assert.equal(bucketMiddle(pairs[0]![0]), 999.5);
});
