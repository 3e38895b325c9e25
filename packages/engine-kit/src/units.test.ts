import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.ts';

const value = (n: number) => ({ ok: true, value: n });

describe('parseDuration', () => {
  const cases: [unknown, number][] = [
    [0, 0],
    [1500, 1500],
    ['1500', 1500],
    ['500ms', 500],
    ['25s', 25_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['0.001s', 1],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['2 s', 2_000],
    [' 3s ', 3_000],
  ];
  for (const [input, ms] of cases)
    it(`reads ${JSON.stringify(input)} as ${ms}ms`, () => assert.deepEqual(parseDuration(input), value(ms)));

  it('refuses what is not a duration', () => {
    for (const input of ['soon', '', '-1s', '5M', '1w', '1m30s', 's', '1.5', true, null, {}, -1, 1.5])
      assert.equal(parseDuration(input).ok, false, JSON.stringify(input));
  });

  it('refuses fractions of a millisecond rather than rounding', () => {
    assert.deepEqual(parseDuration('1.5ms'), {
      ok: false,
      reason: '1.5ms is not a whole number of milliseconds',
    });
    assert.equal(parseDuration('0.0001s').ok, false);
  });
});

describe('parseSize', () => {
  const cases: [unknown, number][] = [
    [0, 0],
    [65_536, 65_536],
    ['65536', 65_536],
    ['512b', 512],
    ['512B', 512],
    ['64kb', 65_536],
    ['64KB', 65_536],
    ['64kib', 65_536],
    ['1mb', 1_048_576],
    ['4MiB', 4_194_304],
    ['1gb', 1_073_741_824],
    ['1GiB', 1_073_741_824],
    ['1.5kb', 1_536],
    ['0.5mb', 524_288],
    ['64 kb', 65_536],
  ];
  for (const [input, bytes] of cases)
    it(`reads ${JSON.stringify(input)} as ${bytes} bytes`, () =>
      assert.deepEqual(parseSize(input), value(bytes)));

  it('refuses what is not a size', () => {
    for (const input of ['lots', '', '64k', '1tb', '-1kb', 'kb', '1e3', false, [], 1.5, -1])
      assert.equal(parseSize(input).ok, false, JSON.stringify(input));
  });

  it('refuses fractions of a byte rather than rounding', () => {
    assert.deepEqual(parseSize('1.1kb'), { ok: false, reason: '1.1kb is not a whole number of bytes' });
    assert.equal(parseSize('1.5').ok, false);
  });
});

describe('formatDuration / formatSize', () => {
  it('write the shortest exact spelling', () => {
    assert.equal(formatDuration(0), '0ms');
    assert.equal(formatDuration(1_500), '1500ms');
    assert.equal(formatDuration(15_000), '15s');
    assert.equal(formatDuration(300_000), '5m');
    assert.equal(formatDuration(86_400_000), '1d');
    assert.equal(formatSize(0), '0b');
    assert.equal(formatSize(1_500), '1500b');
    assert.equal(formatSize(65_536), '64kb');
    assert.equal(formatSize(4 * 1024 * 1024), '4mb');
    assert.equal(formatSize(1024 ** 3), '1gb');
  });

  it('round-trip through the parsers', () => {
    for (const ms of [0, 1, 999, 1_000, 61_000, 3_600_000, 86_400_000 * 3])
      assert.deepEqual(parseDuration(formatDuration(ms)), value(ms));
    for (const bytes of [0, 1, 1_023, 1_024, 65_536, 1_048_577, 1024 ** 3])
      assert.deepEqual(parseSize(formatSize(bytes)), value(bytes));
  });
});
