// SeqSet with literal sequences: in order, gaps, late fills that join runs, repeats, and the run bound.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RUNS, SeqSet } from './seq-set.ts';

function added(s: SeqSet, seqs: number[]): boolean[] {
  return seqs.map((n) => s.add(n));
}

test('in order, then a gap, then the late fill that joins the runs', () => {
  const s = new SeqSet();
  assert.deepEqual(added(s, [1, 2, 3, 5, 6]), [true, true, true, true, true]);
  assert.deepEqual(s.ranges(), [
    [1, 3],
    [5, 6],
  ]);
  assert.equal(s.has(4), false);
  assert.equal(s.add(4), true);
  assert.deepEqual(s.ranges(), [[1, 6]]);
  assert.equal(s.size, 6);
  assert.equal(s.max, 6);
});

test('a repeat is refused wherever it falls: in the last run, an earlier run, or at a run edge', () => {
  const s = new SeqSet();
  added(s, [1, 2, 3, 5, 9, 10]);
  assert.deepEqual(added(s, [2, 3, 1, 5, 10, 9]), [false, false, false, false, false, false]);
  assert.equal(s.size, 6);
  assert.deepEqual(added(s, [7, 8, 6, 4]), [true, true, true, true]);
  assert.deepEqual(s.ranges(), [[1, 10]]);
});

test('reordered arrivals below the first number extend runs downward', () => {
  const s = new SeqSet();
  assert.deepEqual(added(s, [10, 8, 9, 7, 3]), [true, true, true, true, true]);
  assert.deepEqual(s.ranges(), [
    [3, 3],
    [7, 10],
  ]);
});

test('countIn counts the expected numbers that were received', () => {
  const expected = SeqSet.from([[101, 110]]);
  const seen = new SeqSet();
  added(seen, [99, 100, 101, 102, 103, 105, 102, 110, 111]);
  assert.equal(expected.countIn(seen), 5); // 101, 102, 103, 105, 110
  assert.equal(expected.size - expected.countIn(seen), 5); // 104, 106–109 never came
});

test('from() merges overlapping and touching runs in any order', () => {
  const s = SeqSet.from([
    [5, 7],
    [1, 2],
    [3, 3],
    [6, 9],
    [12, 12],
  ]);
  assert.deepEqual(s.ranges(), [
    [1, 3],
    [5, 9],
    [12, 12],
  ]);
  assert.equal(s.size, 9);
});

test('past MAX_RUNS the lowest run is forgotten: it counts as not received, later repeats below are ignored', () => {
  const s = new SeqSet();
  for (let i = 0; i <= MAX_RUNS; i++) s.add(i * 2); // every other number: one run each
  assert.equal(s.ranges().length, MAX_RUNS);
  assert.equal(s.floor, 1);
  assert.equal(s.has(0), false);
  assert.equal(s.add(0), false);
  assert.equal(SeqSet.from([[0, 2]]).countIn(s), 1); // only 2: the forgotten 0 is not taken as received
});
