import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BudgetMember, OutgoingBudget } from './outgoing-budget.ts';

class Conn implements BudgetMember {
  queuedBytes = 0;
  budgetBytes = -1;
  shedCount = 0;
  shed(): void {
    this.shedCount++;
  }
}

describe('OutgoingBudget', () => {
  it('sheds the connections holding the most bytes first, down to nine tenths of the budget', () => {
    const budget = new OutgoingBudget(1_000);
    const conns = [new Conn(), new Conn(), new Conn(), new Conn()];
    for (const c of conns) budget.add(c);
    const sizes = [100, 400, 300, 150];
    conns.forEach((c, i) => {
      c.queuedBytes = sizes[i]!;
      budget.update(c);
    });
    assert.equal(budget.totalBytes, 950);
    assert.equal(budget.full, true, 'over nine tenths: no room for new connections');
    assert.deepEqual(
      conns.map((c) => c.shedCount),
      [0, 0, 0, 0],
    );
    conns[0]!.queuedBytes = 200;
    budget.update(conns[0]!);
    // 1050 > 1000: b (400) goes, leaving 650.
    assert.deepEqual(
      conns.map((c) => c.shedCount),
      [0, 1, 0, 0],
    );
    assert.equal(budget.totalBytes, 650);
    assert.equal(budget.full, false);
    // A shed connection is no longer counted, nor shed again.
    conns[1]!.queuedBytes = 5_000;
    budget.update(conns[1]!);
    assert.equal(conns[1]!.shedCount, 1);
  });

  it('counts again before shedding: queues that drained since their last report shed nothing', () => {
    const budget = new OutgoingBudget(1_000);
    const a = new Conn();
    const b = new Conn();
    budget.add(a);
    budget.add(b);
    a.queuedBytes = 900;
    budget.update(a);
    a.queuedBytes = 0; // drained, not reported
    b.queuedBytes = 600;
    budget.update(b);
    assert.deepEqual([a.shedCount, b.shedCount], [0, 0]);
    assert.equal(budget.totalBytes, 600);
  });

  it('forgets a closed connection, and does nothing at 0', () => {
    const budget = new OutgoingBudget(1_000);
    const a = new Conn();
    budget.add(a);
    a.queuedBytes = 950;
    budget.update(a);
    budget.delete(a);
    assert.equal(budget.full, false);
    const off = new OutgoingBudget(0);
    off.add(a);
    a.queuedBytes = 1e12;
    off.update(a);
    assert.equal(off.full, false);
    assert.equal(a.shedCount, 0);
  });

  it('keeps its record on the member: counted from add to delete, and a report of an unchanged queue changes nothing', () => {
    const budget = new OutgoingBudget(1_000);
    const a = new Conn();
    assert.equal(a.budgetBytes, -1);
    budget.add(a);
    assert.equal(a.budgetBytes, 0);
    a.queuedBytes = 300;
    budget.update(a);
    assert.equal(a.budgetBytes, 300);
    budget.update(a);
    assert.equal(budget.totalBytes, 300);
    assert.equal(budget.members, 1);
    budget.delete(a);
    assert.equal(a.budgetBytes, -1);
    assert.equal(budget.members, 0);
    // Deleted: neither counted again by a report nor subtracted twice.
    budget.update(a);
    budget.delete(a);
    assert.equal(budget.members, 0);
    const b = new Conn();
    budget.add(b);
    b.queuedBytes = 500;
    budget.update(b);
    assert.equal(budget.totalBytes, 500);
    // A writer that just read its queue passes it: the report takes it as given.
    budget.update(b, 700);
    assert.equal(b.budgetBytes, 700);
    b.queuedBytes = 1_200;
    budget.update(b, 1_200);
    assert.equal(b.shedCount, 1, 'over the budget on a given queue: counted again, and shed');
  });
});
