import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadBudget } from './read-budget.ts';

describe('ReadBudget', () => {
  it('allows reads until in debt, then waits for the debt to be paid back at the rate', () => {
    const budget = new ReadBudget(1_000, 0);
    assert.equal(budget.allows(0), true);
    budget.spend(1_500, 0); // 2000 burst -> 500 left
    assert.equal(budget.allows(0), true);
    budget.spend(6_000, 0); // one read may overshoot: -5500
    assert.equal(budget.allows(0), false);
    assert.equal(budget.allows(5_000), false, '5 s pays back 5000 of 5500');
    assert.equal(budget.allows(5_600), true);
  });

  it('gives a connection that authenticates the larger burst at once, with no time passing', () => {
    // Fresh: starts at the anonymous burst (200), authenticates before reading.
    const fresh = new ReadBudget(100, 0);
    fresh.setRate(10_000, 0);
    fresh.spend(15_000, 0); // within the authenticated burst of 20,000
    assert.equal(fresh.allows(0), true, 'the authenticated burst, not the anonymous one');
    fresh.spend(5_001, 0);
    assert.equal(fresh.allows(0), false, 'and no more than it');

    // In debt as an anonymous connection, then authenticated: the burst gained pays the debt.
    const owing = new ReadBudget(100, 0);
    owing.spend(5_000, 0); // 200 - 5000 = -4800
    assert.equal(owing.allows(0), false);
    owing.setRate(10_000, 0); // -4800 + 2 x 9900 = 15,000
    assert.equal(owing.allows(0), true);
    owing.spend(15_000, 0);
    assert.equal(owing.allows(0), false, 'the debt counts against the new burst');
  });

  it('refreshing at the same rate adds nothing; 0 is unlimited, and leaving it starts at the full burst', () => {
    const budget = new ReadBudget(1_000, 0);
    budget.spend(10_000, 0);
    budget.setRate(1_000, 0);
    assert.equal(budget.allows(0), false, 'a token refresh does not refill');
    budget.setRate(0, 0);
    assert.equal(budget.allows(0), true);
    budget.spend(1_000_000, 0);
    assert.equal(budget.allows(0), true);
    budget.setRate(100, 0);
    budget.spend(199, 0);
    assert.equal(budget.allows(0), true);
    budget.spend(1, 0);
    assert.equal(budget.allows(0), false);
    assert.equal(budget.allows(10), true, '10 ms at 100 B/s pays back 1 byte');
  });
});
