import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.ts';
import { CLIENT_DEFAULTS } from './defaults.ts';

const opts = { minDelayMs: 100, maxDelayMs: 1_000, factor: 2, floorMs: 10 };

describe('backoffDelay (full jitter)', () => {
  it('draws uniformly from [0, min × factor^attempt), capped at max, never under the floor', () => {
    assert.equal(
      backoffDelay(0, opts, () => 0.5),
      50,
    );
    assert.equal(
      backoffDelay(1, opts, () => 0.5),
      100,
    );
    assert.equal(
      backoffDelay(3, opts, () => 0.5),
      400,
    );
    assert.equal(
      backoffDelay(10, opts, () => 0.5),
      500,
      'the window stops growing at maxDelayMs',
    );
    assert.equal(
      backoffDelay(10, opts, () => 0.999),
      999,
    );
    assert.equal(
      backoffDelay(5, opts, () => 0),
      10,
      'the floor keeps a failure loop from spinning',
    );
  });

  it('stays inside its window for every attempt with the defaults', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      for (const r of [0, 0.25, 0.75, 0.9999]) {
        const d = backoffDelay(attempt, CLIENT_DEFAULTS.backoff, () => r);
        assert.ok(
          d >= CLIENT_DEFAULTS.backoff.floorMs && d < CLIENT_DEFAULTS.backoff.maxDelayMs,
          `${attempt} ${r} ${d}`,
        );
      }
    }
  });
});
