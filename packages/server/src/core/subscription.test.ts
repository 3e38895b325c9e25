import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Publication } from '@switchboard/engine-kit';
import type { ServerFrame } from '@switchboard/protocol';
import {
  type Continuity,
  EXPLICIT,
  FULL,
  IMPLIED,
  type PreparedFrame,
  PreparedPublication,
} from './prepared.ts';
import { type Drainable, Subscription, type SubscriptionOwner } from './subscription.ts';

const prepared = (offset: number, client?: string): PreparedPublication => {
  const p: Publication = {
    channel: 'c',
    epoch: 'e1',
    offset,
    data: `{"n":${offset}}`,
    time: 0,
    ...(client === undefined ? {} : { info: { client, user: null } }),
  };
  return new PreparedPublication(p);
};

/** A connection that queues `bytesPerWrite` per publication until `drain()` empties it. */
class Connection implements SubscriptionOwner {
  readonly id = 'me';
  readonly got: (number | string)[] = [];
  /** How each publication followed the previous one sent (wire version 2's compact forms). */
  readonly continuity: Continuity[] = [];
  readonly waiting: Drainable[] = [];
  writableBytes = 0;
  overflowed = false;
  readonly bytesPerWrite: number;
  constructor(bytesPerWrite: number) {
    this.bytesPerWrite = bytesPerWrite;
  }
  sendPublication(p: PreparedPublication, continuity: Continuity): void {
    this.got.push(p.publication.offset);
    this.continuity.push(continuity);
    this.writableBytes += this.bytesPerWrite;
  }
  sendPrepared(frame: PreparedFrame): void {
    this.got.push(frame.type);
  }
  send(frame: ServerFrame): void {
    if (frame.type === 'skipped') this.got.push(`skipped ${frame.count}`);
  }
  overflow(): void {
    this.overflowed = true;
  }
  waitDrain(waiter: Drainable): void {
    this.waiting.push(waiter);
  }
  drain(): void {
    this.writableBytes = 0;
    for (const w of this.waiting.splice(0)) w.drained();
  }
}

describe('Subscription', () => {
  it('writes the missed publications as the connection drains, live ones held until after them', () => {
    const conn = new Connection(100);
    const sub = new Subscription('c', conn, { gate: null, skipOwn: false, highWater: 200 });
    sub.deliver(prepared(5));
    assert.equal(
      sub.goLive(
        { epoch: 'e1', offset: 0 },
        [1, 2, 3, 4].map((n) => prepared(n)),
      ),
      true,
    );
    assert.deepEqual(conn.got, [1, 2], 'stops at the high-water mark');
    assert.equal(sub.state, 'subscribing');
    sub.deliver(prepared(6));
    conn.drain();
    assert.deepEqual(conn.got, [1, 2, 3, 4]);
    conn.drain();
    assert.deepEqual(conn.got, [1, 2, 3, 4, 5, 6]);
    assert.equal(sub.state, 'live');
    sub.deliver(prepared(7));
    assert.deepEqual(conn.got, [1, 2, 3, 4, 5, 6, 7], 'live: written at once');
  });

  it('a subscription closed while catching up writes nothing more', () => {
    const conn = new Connection(100);
    const sub = new Subscription('c', conn, { gate: null, skipOwn: false, highWater: 100 });
    sub.goLive(
      { epoch: 'e1', offset: 0 },
      [1, 2, 3].map((n) => prepared(n)),
    );
    sub.close();
    conn.drain();
    assert.deepEqual(conn.got, [1]);
  });

  it("echo off: the owner's own publications are skipped, and the position still moves past them", () => {
    const conn = new Connection(0);
    const sub = new Subscription('c', conn, { gate: null, skipOwn: true, highWater: 100 });
    sub.goLive({ epoch: 'e1', offset: 0 }, []);
    sub.deliver(prepared(1, 'someone'));
    sub.deliver(prepared(2, 'me'));
    sub.deliver(prepared(3));
    assert.deepEqual(conn.got, [1, 3]);
    assert.deepEqual(sub.position, { epoch: 'e1', offset: 3 });
  });

  it('a drop-oldest gate: a connection that is behind gets a skip count, then the newest', () => {
    const conn = new Connection(100);
    const gate = { policy: 'drop-oldest' as const, conflateKey: null, queueSize: 2, rate: 0, highWater: 100 };
    const sub = new Subscription('c', conn, { gate, skipOwn: false, highWater: 100 });
    sub.goLive({ epoch: 'e1', offset: 0 }, []);
    for (let n = 1; n <= 6; n++) sub.deliver(prepared(n));
    conn.drain();
    conn.drain();
    assert.deepEqual(conn.got, [1, 'skipped 3', 5, 6]);
  });

  it('tells the connection how each delivery follows the last one sent: from the subscribed position on', () => {
    const conn = new Connection(0);
    const sub = new Subscription('c', conn, { gate: null, skipOwn: true, highWater: 1_000 });
    sub.deliver(prepared(9));
    // Resumed from 4 with the stream at 8: the missed 5..8 start away from the announced 8 (explicit), then follow.
    sub.goLive(
      { epoch: 'e1', offset: 4 },
      [5, 6, 7, 8].map((o) => prepared(o)),
      { epoch: 'e1', offset: 8 },
    );
    sub.deliver(prepared(10, 'me')); // its own publication, echo off: not sent
    sub.deliver(prepared(11));
    sub.deliver(new PreparedPublication({ channel: 'c', epoch: 'e2', offset: 1, data: '1', time: 0 }));
    sub.deliver(new PreparedPublication({ channel: 'c', epoch: 'e2', offset: 2, data: '2', time: 0 }));
    assert.deepEqual(conn.got, [5, 6, 7, 8, 9, 11, 1, 2]);
    assert.deepEqual(conn.continuity, [
      EXPLICIT,
      IMPLIED,
      IMPLIED,
      IMPLIED,
      IMPLIED,
      EXPLICIT,
      FULL,
      IMPLIED,
    ]);
  });

  it('a live start: the first publication after the subscribed position is implied', () => {
    const conn = new Connection(0);
    const sub = new Subscription('c', conn, { gate: null, skipOwn: false, highWater: 1_000 });
    sub.goLive({ epoch: 'e1', offset: 3 }, []);
    sub.deliver(prepared(4));
    sub.deliver(prepared(6));
    assert.deepEqual(conn.continuity, [IMPLIED, EXPLICIT]);
  });
});
