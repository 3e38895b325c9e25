import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topLevelField } from './conflate-key.ts';
import { DropOldest, KeyedLatest, LatestSlot } from './queues.ts';

/** A publication as the queues see it: an offset and its data's JSON text. */
class Item {
  readonly offset: number;
  readonly data: string;
  constructor(offset: number, data: string) {
    this.offset = offset;
    this.data = data;
  }
  conflationKey(field: string): string | undefined {
    return topLevelField(this.data, field);
  }
}

const drain = <T>(q: { shift(): T | undefined }): T[] => {
  const out: T[] = [];
  for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
  return out;
};

describe('LatestSlot', () => {
  it('keeps only the newest item and counts what it replaced', () => {
    const q = new LatestSlot<number>();
    assert.equal(q.push(1), 0);
    assert.equal(q.push(2), 1);
    assert.equal(q.push(3), 1);
    assert.equal(q.size, 1);
    assert.deepEqual(drain(q), [3]);
    assert.equal(q.size, 0);
  });
});

describe('KeyedLatest', () => {
  it('keeps the newest item per key, leaving in order of latest arrival (offset order)', () => {
    const q = new KeyedLatest<Item>('symbol', 10);
    const pushes = [
      new Item(1, '{"symbol":"A","p":1}'),
      new Item(2, '{"symbol":"B","p":1}'),
      new Item(3, '{"symbol":"A","p":2}'),
      new Item(4, '{"p":9}'),
      new Item(5, '"not an object"'),
      new Item(6, '{"symbol":"C","p":1}'),
    ];
    assert.deepEqual(
      pushes.map((i) => q.push(i)),
      [0, 0, 1, 0, 1, 0],
    );
    assert.deepEqual(
      drain(q).map((i) => i.offset),
      [2, 3, 5, 6],
    );
  });

  it('holds at most `capacity` keys, dropping the one held longest', () => {
    const q = new KeyedLatest<Item>('k', 2);
    q.push(new Item(1, '{"k":1}'));
    q.push(new Item(2, '{"k":2}'));
    assert.equal(q.push(new Item(3, '{"k":3}')), 1);
    assert.equal(q.size, 2);
    assert.deepEqual(
      drain(q).map((i) => i.offset),
      [2, 3],
    );
  });
});

describe('DropOldest', () => {
  it('is a bounded FIFO that drops its oldest item when full', () => {
    const q = new DropOldest<number>(3);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => q.push(n)),
      [0, 0, 0, 1, 1],
    );
    assert.equal(q.size, 3);
    assert.deepEqual(drain(q), [3, 4, 5]);
    q.push(6);
    q.push(7);
    assert.equal(q.shift(), 6);
    q.push(8);
    q.push(9);
    q.push(10);
    assert.deepEqual(drain(q), [8, 9, 10]);
    q.push(11);
    q.clear();
    assert.equal(q.size, 0);
    assert.equal(q.shift(), undefined);
  });
});
