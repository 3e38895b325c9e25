import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topLevelField } from './conflate-key.ts';
import { type Clock, DeliveryGate, effectiveRate, highWaterFor, type Outlet } from './gate.ts';

class Item {
  readonly offset: number;
  readonly data: string;
  constructor(offset: number, data = '{}') {
    this.offset = offset;
    this.data = data;
  }
  conflationKey(field: string): string | undefined {
    return topLevelField(this.data, field);
  }
}

/** A connection that queues `size` bytes per write until told it drained, and a clock moved by hand. */
class FakeConnection implements Outlet<Item> {
  writableBytes = 0;
  readonly out: (number | string)[] = [];
  readonly waiting: DeliveryGate<Item>[] = [];
  readonly size: number;
  constructor(size = 0) {
    this.size = size;
  }
  write(item: Item): void {
    this.out.push(item.offset);
    this.writableBytes += this.size;
  }
  skipped(count: number): void {
    this.out.push(`skipped ${count}`);
  }
  waitDrain(gate: DeliveryGate<Item>): void {
    this.waiting.push(gate);
  }
  drain(): void {
    this.writableBytes = 0;
    for (const g of this.waiting.splice(0)) g.drained();
  }
}

class FakeClock implements Clock {
  t = 0;
  timers: { at: number; fn: () => void; cleared: boolean }[] = [];
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const timer = { at: this.t + ms, fn, cleared: false };
    this.timers.push(timer);
    return timer;
  };
  clearTimeout = (h: unknown): void => {
    (h as { cleared: boolean }).cleared = true;
  };
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.splice(0)) {
      if (timer.cleared) continue;
      if (timer.at <= this.t) timer.fn();
      else this.timers.push(timer);
    }
  }
}

const HW = 100;

describe('DeliveryGate', () => {
  it('writes straight through while the connection keeps up', () => {
    for (const policy of ['latest', 'drop-oldest'] as const) {
      const conn = new FakeConnection(10);
      const gate = new DeliveryGate(
        { policy, conflateKey: null, queueSize: 5, rate: 0, highWater: HW },
        conn,
      );
      for (let i = 1; i <= 9; i++) gate.offer(new Item(i));
      assert.deepEqual(conn.out, [1, 2, 3, 4, 5, 6, 7, 8, 9], policy);
      assert.equal(gate.pending, 0);
    }
  });

  it('latest: a connection that is behind gets only the newest value once it drains', () => {
    const conn = new FakeConnection(60);
    const gate = new DeliveryGate(
      { policy: 'latest', conflateKey: null, queueSize: 5, rate: 0, highWater: HW },
      conn,
    );
    for (let i = 1; i <= 50; i++) gate.offer(new Item(i));
    assert.deepEqual(conn.out, [1, 2]);
    assert.equal(gate.pending, 1);
    assert.equal(conn.waiting.length, 1, 'waits for drain once, not once per publication');
    conn.drain();
    assert.deepEqual(conn.out, [1, 2, 50]);
    assert.equal(gate.pending, 0);
  });

  it('latest with a key: the newest value of every key, in offset order', () => {
    const conn = new FakeConnection(HW);
    const gate = new DeliveryGate(
      { policy: 'latest', conflateKey: 'sym', queueSize: 10, rate: 0, highWater: HW },
      conn,
    );
    const data = ['{"sym":"A"}', '{"sym":"B"}', '{"sym":"A"}', '{"sym":"C"}', '{"sym":"B"}', '{"sym":"A"}'];
    for (const [i, d] of data.entries()) gate.offer(new Item(i + 1, d));
    assert.deepEqual(conn.out, [1]);
    conn.drain();
    conn.drain();
    conn.drain();
    assert.deepEqual(conn.out, [1, 4, 5, 6]);
    assert.equal(gate.pending, 0);
  });

  it('drop-oldest: keeps the newest queueSize, then says how many it skipped before the next one', () => {
    const conn = new FakeConnection(HW);
    const gate = new DeliveryGate(
      { policy: 'drop-oldest', conflateKey: null, queueSize: 3, rate: 0, highWater: HW },
      conn,
    );
    for (let i = 1; i <= 10; i++) gate.offer(new Item(i));
    assert.deepEqual(conn.out, [1]);
    conn.drain(); // one write fills the connection again
    assert.deepEqual(conn.out, [1, 'skipped 6', 8]);
    conn.drain();
    conn.drain();
    assert.deepEqual(conn.out, [1, 'skipped 6', 8, 9, 10]);
    gate.offer(new Item(11));
    conn.drain();
    assert.deepEqual(conn.out, [1, 'skipped 6', 8, 9, 10, 11], 'no skip frame when nothing was dropped');
  });

  it('a rate cap spaces deliveries 1000/rate ms apart: latest sends the newest at each tick', () => {
    const conn = new FakeConnection(0);
    const clock = new FakeClock();
    const gate = new DeliveryGate(
      { policy: 'latest', conflateKey: null, queueSize: 5, rate: 10, highWater: HW },
      conn,
      clock,
    );
    for (let i = 1; i <= 5; i++) gate.offer(new Item(i));
    assert.deepEqual(conn.out, [1]);
    clock.advance(50);
    gate.offer(new Item(6));
    assert.deepEqual(conn.out, [1]);
    clock.advance(50);
    assert.deepEqual(conn.out, [1, 6]);
    clock.advance(100);
    assert.deepEqual(conn.out, [1, 6], 'nothing new: nothing sent');
    gate.offer(new Item(7));
    assert.deepEqual(conn.out, [1, 6, 7], 'a publication after a quiet interval goes at once');
  });

  it('a rate cap with drop-oldest: the queue waits for the cap and drops what overflows', () => {
    const conn = new FakeConnection(0);
    const clock = new FakeClock();
    const gate = new DeliveryGate(
      { policy: 'drop-oldest', conflateKey: null, queueSize: 2, rate: 4, highWater: HW },
      conn,
      clock,
    );
    for (let i = 1; i <= 6; i++) gate.offer(new Item(i));
    assert.deepEqual(conn.out, [1]);
    clock.advance(250);
    clock.advance(250);
    assert.deepEqual(conn.out, [1, 'skipped 3', 5, 6]);
  });

  it('close drops what is held and cancels its timer', () => {
    const conn = new FakeConnection(0);
    const clock = new FakeClock();
    const gate = new DeliveryGate(
      { policy: 'latest', conflateKey: null, queueSize: 5, rate: 1, highWater: HW },
      conn,
      clock,
    );
    gate.offer(new Item(1));
    gate.offer(new Item(2));
    gate.close();
    clock.advance(5_000);
    gate.offer(new Item(3));
    assert.deepEqual(conn.out, [1]);
    assert.equal(gate.pending, 0);
  });
});

describe('effectiveRate and highWaterFor', () => {
  it('a subscriber may lower the namespace cap, never raise it', () => {
    assert.equal(effectiveRate(10, undefined), 10);
    assert.equal(effectiveRate(10, 3), 3);
    assert.equal(effectiveRate(10, 50), 10);
    assert.equal(effectiveRate(0, 5), 5);
    assert.equal(effectiveRate(0, undefined), 0);
  });

  it('high water is a quarter of the outgoing limit, within 16 KiB..64 KiB', () => {
    assert.equal(highWaterFor(4 * 1024 * 1024), 64 * 1024);
    assert.equal(highWaterFor(128 * 1024), 32 * 1024);
    assert.equal(highWaterFor(1024), 16 * 1024);
  });
});
