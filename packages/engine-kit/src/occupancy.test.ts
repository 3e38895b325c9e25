import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryOccupancy } from './occupancy.ts';

describe('MemoryOccupancy', () => {
  it('occupied by the first node, vacated by the last; a dead node’s entry expires', async () => {
    let now = 0;
    const o = new MemoryOccupancy(() => now);
    assert.equal(await o.occupy('c', 'a', 100), true);
    assert.equal(await o.occupy('c', 'b', 100), false);
    assert.equal(await o.occupy('c', 'a', 100), false, 'a refresh is not a new occupation');
    assert.equal(await o.vacate('c', 'a'), false);
    assert.equal(await o.vacate('c', 'a'), false, 'an absent node');
    assert.equal(await o.vacate('c', 'b'), true);
    assert.equal(await o.vacate('c', 'b'), false);
    assert.equal(await o.occupy('c', 'a', 100), true);
    now = 100;
    assert.equal(await o.occupy('c', 'b', 100), true, 'a’s entry expired: the channel was free');
    assert.equal(await o.vacate('c', 'a'), false, 'the expired node vacates nothing');
  });
});
