import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelFingerprint, lostOffsets, type ResumeOutcome, sseCursor, tallyResume } from './resume.ts';

test('sseCursor: the one-channel cursor of docs/protocol.md section 6 (literals from the protocol package)', () => {
  assert.equal(sseCursor('storm:7', 'k3j9x0a1b2', 41), '1.f0atft.k3j9x0a1b2-41');
  assert.equal(sseCursor('a', 'e', 0), '1.1r9wi7g.e-0');
  assert.equal(channelFingerprint('a'), '1r9wi7g');
});

test('lostOffsets: only offsets after the first position count, and only those never received', () => {
  assert.equal(lostOffsets([5, 6, 7, 8], 6, new Set([7, 8])), 0);
  assert.equal(lostOffsets([5, 6, 7, 8], 4, new Set([5, 8])), 2);
  assert.equal(lostOffsets([], 0, new Set([1])), 0);
});

const client = (o: Partial<ResumeOutcome> & { channel: string }): ResumeOutcome => ({
  from: 0,
  received: new Set(),
  duplicates: 0,
  resumed: true,
  recovered: true,
  ...o,
});

test('tallyResume: sums loss per client against its channel, resumed and unrecovered apart', () => {
  const accepted = new Map([
    ['c0', [1, 2, 3, 4]],
    ['c1', [1, 2]],
  ]);
  const t = tallyResume(
    [
      client({ channel: 'c0', from: 0, received: new Set([1, 2, 3, 4]) }),
      client({ channel: 'c0', from: 2, received: new Set([3]), duplicates: 1 }),
      client({ channel: 'c1', from: 0, received: new Set(), resumed: false, recovered: undefined }),
      client({ channel: 'c1', from: 0, received: new Set([1, 2]), recovered: false }),
      client({ channel: 'c9' }),
    ],
    accepted,
  );
  assert.deepEqual(t, { clients: 5, resumed: 4, unrecovered: 1, lost: 3, clientsLosing: 2, duplicates: 1 });
});
