import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadBudget } from './read-budget.ts';

describe('ReadBudget', () => {
  it('allows reads until in debt, then waits for the debt to be paid back at the rate', () => {
    const budget = new ReadBudget(() => 1_000, 0);
    assert.equal(budget.allows(0), true);
    budget.spend(1_500, 0); // 2000 burst -> 500 left
    assert.equal(budget.allows(0), true);
    budget.spend(6_000, 0); // one read may overshoot: -5500
    assert.equal(budget.allows(0), false);
    assert.equal(budget.allows(5_000), false, '5 s pays back 5000 of 5500');
    assert.equal(budget.allows(5_600), true);
  });

  it('follows the rate as it changes (anonymous, then authenticated), and 0 is unlimited', () => {
    let rate = 100;
    const budget = new ReadBudget(() => rate, 0);
    budget.spend(10_000, 0);
    assert.equal(budget.allows(1_000), false);
    rate = 0;
    assert.equal(budget.allows(1_000), true);
    rate = 100_000;
    assert.equal(budget.allows(1_100), true, '0.1 s at 100 kB/s pays back the debt');
  });
});
