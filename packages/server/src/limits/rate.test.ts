import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedLimiter, TokenBucket } from './rate.ts';

describe('rate limits', () => {
  it('a bucket allows its burst, then its rate', () => {
    const b = new TokenBucket(10, 20, 0);
    let taken = 0;
    while (b.take(0)) taken++;
    assert.equal(taken, 20);
    assert.equal(b.take(50), false); // half a token after 50ms
    assert.equal(b.take(100), true); // one token after 100ms
    assert.equal(b.take(100), false);
    assert.equal(b.full(10_000), true);
  });

  it('keyed buckets are separate, bounded, and forgotten once full', () => {
    const l = new KeyedLimiter(1, 3);
    assert.equal(l.take('a', 0), true);
    assert.equal(l.take('a', 0), true);
    assert.equal(l.take('a', 0), false);
    assert.equal(l.take('b', 0), true);
    l.take('c', 0);
    l.take('d', 0);
    assert.equal(l.size, 3);
    l.sweep(60_000);
    assert.equal(l.size, 0);
    assert.equal(new KeyedLimiter(0).take('x', 0), true);
  });
});
