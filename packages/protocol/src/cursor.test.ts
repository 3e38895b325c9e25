import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  channelSetFingerprint,
  cursorPrefix,
  decodeCursor,
  encodeCursor,
  normalizeChannels,
} from './cursor.ts';

describe('resume cursor', () => {
  it('normalizes channel sets: sorted, deduplicated', () => {
    assert.deepEqual(normalizeChannels(['b', 'a', 'b', 'c:1']), ['a', 'b', 'c:1']);
  });

  it('fingerprints with FNV-1a 32 over NUL-joined names (fixed vectors)', () => {
    // FNV-1a("a") = 0xe40c292c; FNV-1a("a\0b") = 0x10f3abd2 (computed independently)
    assert.equal(channelSetFingerprint(['a']), (0xe40c292c).toString(36));
    assert.equal(channelSetFingerprint(['a', 'b']), (0x10f3abd2).toString(36));
    assert.notEqual(channelSetFingerprint(['ab']), channelSetFingerprint(['a', 'b']));
  });

  it('round-trips positions in channel order', () => {
    const channels = ['a', 'b'];
    const positions = [
      { epoch: 'Ep0ch', offset: 0 },
      { epoch: 'x9', offset: 9007199254740991 },
    ];
    const cursor = encodeCursor(channels, positions);
    assert.equal(cursor, `${cursorPrefix(channels)}.Ep0ch-0.x9-9007199254740991`);
    assert.deepEqual(decodeCursor(cursor, channels), { ok: true, positions });
  });

  it('refuses a cursor for another channel set, version or shape, without throwing', () => {
    const good = encodeCursor(
      ['a', 'b'],
      [
        { epoch: 'e', offset: 1 },
        { epoch: 'e', offset: 2 },
      ],
    );
    const bad: Array<[string, string[]]> = [
      [good, ['a']],
      [good, ['a', 'c']],
      [good.replace(/^1/, '2'), ['a', 'b']],
      [`${cursorPrefix(['a', 'b'])}.e-1`, ['a', 'b']],
      [`${cursorPrefix(['a'])}.e-01`, ['a']],
      [`${cursorPrefix(['a'])}.e--1`, ['a']],
      [`${cursorPrefix(['a'])}.-1`, ['a']],
      [`${cursorPrefix(['a'])}.e!-1`, ['a']],
      [`${cursorPrefix(['a'])}.e-99999999999999999`, ['a']],
      [`${cursorPrefix(['a'])}.e-1.`, ['a']],
      ['', ['a']],
      ['x'.repeat(70_000), ['a']],
    ];
    for (const [cursor, channels] of bad) {
      const r = decodeCursor(cursor, channels);
      assert.equal(r.ok, false, cursor.slice(0, 40));
    }
  });

  it('refuses encoding with a position count that does not match', () => {
    assert.throws(() => encodeCursor(['a'], []), RangeError);
  });
});
