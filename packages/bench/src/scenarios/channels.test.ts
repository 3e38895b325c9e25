import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIALECTS } from '../dialect.ts';
import { buildRound } from './channels.ts';

const names = Array.from({ length: 250 }, (_, i) => `c${i}`);
const data = '{"t":1,"s":7,"p":"x"}';

test('single: one POST /api/publish per round, to each channel in turn, never a broadcast', () => {
  const { round, deliveriesPerRound } = buildRound(DIALECTS.switchboard, names, 0.5, false);
  assert.equal(deliveriesPerRound, 0.5);
  const first = round(data, 0);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.path, '/api/publish');
  assert.deepEqual(first[0]!.channels, ['c0']);
  assert.equal(first[0]!.deliveries, 0.5);
  assert.equal(first[0]!.seq, 1);
  assert.deepEqual(JSON.parse(first[0]!.body), { channel: 'c0', data: { t: 1, s: 1, p: 'x' } });
  for (let i = 1; i < names.length; i++) assert.deepEqual(round(data, 0)[0]!.channels, [`c${i}`]);
  // The cycle wraps: the first channel's second message carries s = 2.
  const again = round(data, 0)[0]!;
  assert.deepEqual(again.channels, ['c0']);
  assert.equal(again.seq, 2);
  assert.match(again.body, /"s":2/);
});

test('channels: broadcast groups of 100 where the dialect has broadcast, one publish each where not', () => {
  const grouped = buildRound(DIALECTS.switchboard, names, 1, true);
  assert.equal(grouped.deliveriesPerRound, 100);
  const req = grouped.round(data, 0)[0]!;
  assert.equal(req.path, '/api/broadcast');
  assert.equal(req.channels.length, 100);
  grouped.round(data, 0);
  const last = grouped.round(data, 0)[0]!;
  assert.equal(last.channels.length, 50);
  const plain = buildRound(DIALECTS.nchan, names, 1, true);
  assert.equal(plain.deliveriesPerRound, 1);
  assert.deepEqual(plain.round(data, 0)[0]!.channels, ['c0']);
});
