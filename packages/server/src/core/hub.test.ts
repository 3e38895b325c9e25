import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryQuery, HistoryResult, HistoryStore, Publication } from '@switchboard/engine-kit';
import type { Position, ServerFrame } from '@switchboard/protocol';
import { Hub } from './hub.ts';
import type { PreparedPublication } from './prepared.ts';
import { Subscription, type SubscriptionOwner } from './subscription.ts';

const EPOCH = 'e1';
const pub = (offset: number, epoch = EPOCH): Publication => ({
  channel: 'c',
  epoch,
  offset,
  data: String(offset),
  time: 0,
});

/** A history of publications 1..n for channel `c`, readable after a position (an in-process store, no I/O). */
class ArrayHistory implements HistoryStore {
  readonly pubs: Publication[] = [];
  failing = false;
  async top(): Promise<Position> {
    return { epoch: EPOCH, offset: this.pubs.at(-1)?.offset ?? 0 };
  }
  async read(_channel: string, query: HistoryQuery): Promise<HistoryResult> {
    if (this.failing) throw new Error('history down');
    const since = query.since?.offset ?? 0;
    const first = this.pubs[0]?.offset ?? 1;
    return {
      top: await this.top(),
      publications: this.pubs.filter((p) => p.offset > since),
      recovered: since + 1 >= first,
    };
  }
  async remove(): Promise<void> {}
}

class Collector implements SubscriptionOwner {
  readonly id = 'x';
  readonly got: number[] = [];
  overflowed = false;
  sendPublication(p: PreparedPublication): void {
    this.got.push(p.publication.offset);
  }
  send(_frame: ServerFrame): void {}
  overflow(): void {
    this.overflowed = true;
  }
  readonly writableBytes = 0;
  waitDrain(): void {}
}

function setup() {
  const history = new ArrayHistory();
  const unfilled: string[] = [];
  const hub = new Hub(history, {
    onGapUnfilled: (_c, _f, reason) => unfilled.push(reason),
    onFanout: () => {},
  });
  const owner = new Collector();
  const sub = new Subscription('c', owner);
  hub.add(sub);
  sub.goLive({ epoch: EPOCH, offset: 0 }, []);
  return { history, hub, owner, sub, unfilled };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Hub', () => {
  it('delivers in order and drops duplicates from the broker', () => {
    const { hub, owner } = setup();
    for (const o of [1, 2, 2, 3, 1]) hub.onPublication(pub(o));
    assert.deepEqual(owner.got, [1, 2, 3]);
  });

  it('fills a gap from history before delivering anything newer', async () => {
    const { hub, history, owner, unfilled } = setup();
    for (let o = 1; o <= 6; o++) history.pubs.push(pub(o));
    hub.onPublication(pub(1));
    hub.onPublication(pub(4)); // 2 and 3 were lost by the broker
    hub.onPublication(pub(5)); // arrives while the gap is being filled: must wait
    assert.deepEqual(owner.got, [1]);
    await tick();
    hub.onPublication(pub(6));
    assert.deepEqual(owner.got, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(unfilled, []);
  });

  it('reports a gap history cannot fill, and goes on', async () => {
    const { hub, history, owner, unfilled } = setup();
    hub.onPublication(pub(1));
    history.failing = true;
    hub.onPublication(pub(5));
    await tick();
    assert.deepEqual(owner.got, [1, 5]);
    assert.equal(unfilled.length, 1);
  });

  it('accepts a new epoch as a fresh stream', () => {
    const { hub, owner } = setup();
    hub.onPublication(pub(7));
    hub.onPublication(pub(1, 'e2'));
    hub.onPublication(pub(2, 'e2'));
    assert.deepEqual(owner.got, [7, 1, 2]);
  });

  it('reports first and last subscribers so the broker subscribes once per channel', () => {
    const history = new ArrayHistory();
    const hub = new Hub(history, { onGapUnfilled: () => {}, onFanout: () => {} });
    const a = new Subscription('c', new Collector());
    const b = new Subscription('c', new Collector());
    assert.equal(hub.add(a), true);
    assert.equal(hub.add(b), false);
    assert.equal(hub.subscriberCount('c'), 2);
    assert.equal(hub.remove(a), false);
    assert.equal(hub.remove(a), false);
    assert.equal(hub.remove(b), true);
    assert.equal(hub.channelCount, 0);
  });
});

describe('Subscription', () => {
  it('holds live publications while catching up and joins them without gap or duplicate', () => {
    const owner = new Collector();
    const sub = new Subscription('c', owner);
    const { PreparedPublication } = prepared;
    sub.deliver(new PreparedPublication(pub(5)));
    sub.deliver(new PreparedPublication(pub(6)));
    assert.deepEqual(owner.got, []);
    sub.goLive({ epoch: EPOCH, offset: 3 }, [
      new PreparedPublication(pub(4)),
      new PreparedPublication(pub(5)),
    ]);
    assert.deepEqual(owner.got, [4, 5, 6]);
  });

  it('gives up, and says so, when too much arrives during catch-up', async () => {
    const owner = new Collector();
    const sub = new Subscription('c', owner);
    const { MAX_PENDING } = await import('./subscription.ts');
    const p = new prepared.PreparedPublication(pub(1));
    for (let i = 0; i <= MAX_PENDING; i++) sub.deliver(p);
    assert.equal(owner.overflowed, true);
    assert.equal(sub.state, 'closed');
  });
});

const prepared = await import('./prepared.ts');
