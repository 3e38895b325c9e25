import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from './breaker.ts';

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, lets one trial through after the cooldown, closes on its success', () => {
    let now = 1_000;
    const b = new CircuitBreaker(3, 500, () => now);
    b.failed();
    b.failed();
    b.succeeded();
    b.failed();
    b.failed();
    assert.equal(b.open, false, 'a success in between resets the count');
    b.failed();
    assert.equal(b.open, true);
    assert.equal(b.admit(), false, 'open: fail fast');
    now += 500;
    assert.equal(b.admit(), true, 'cooldown over: one trial');
    assert.equal(b.admit(), false, 'only one trial at a time');
    b.failed();
    assert.equal(b.admit(), false, 'a failed trial opens it again');
    now += 500;
    assert.equal(b.admit(), true);
    b.succeeded();
    assert.equal(b.open, false);
    assert.equal(b.admit(), true);
  });
});
