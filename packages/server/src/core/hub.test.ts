import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Publication } from '@switchboard/engine-kit';
import { cursorPrefix, type ServerFrame } from '@switchboard/protocol';
import { Hub } from './hub.ts';
import type { PreparedFrame, PreparedPublication } from './prepared.ts';
import { Subscription, type SubscriptionOwner } from './subscription.ts';

const EPOCH = 'e1';
const pub = (offset: number, epoch = EPOCH): Publication => ({
  channel: 'c',
  epoch,
  offset,
  data: String(offset),
  time: 0,
});

class Collector implements SubscriptionOwner {
  readonly id = 'x';
  readonly got: number[] = [];
  overflowed = false;
  sendPublication(p: PreparedPublication): void {
    this.got.push(p.publication.offset);
  }
  readonly prepared: PreparedFrame[] = [];
  sendPrepared(frame: PreparedFrame): void {
    this.prepared.push(frame);
  }
  send(_frame: ServerFrame): void {}
  overflow(): void {
    this.overflowed = true;
  }
  readonly writableBytes = 0;
  waitDrain(): void {}
}

describe('Hub', () => {
  it('hands each publication to every subscriber of its channel, prepared once for all of them', () => {
    const fanouts: number[] = [];
    const hub = new Hub({ onFanout: (n) => fanouts.push(n) });
    const seen: PreparedPublication[] = [];
    class Shared extends Collector {
      override sendPublication(p: PreparedPublication): void {
        seen.push(p);
      }
    }
    const a = new Subscription('c', new Shared());
    const b = new Subscription('c', new Shared());
    const other = new Subscription('d', new Shared());
    for (const s of [a, b, other]) {
      hub.add(s);
      s.goLive({ epoch: EPOCH, offset: 0 }, []);
    }
    hub.onPublication(pub(1));
    hub.onPublication({ ...pub(1), channel: 'nobody' });
    assert.equal(seen.length, 2);
    assert.equal(seen[0], seen[1]);
    assert.deepEqual(fanouts, [2]);
  });

  it('serializes a broadcast frame once for every live subscriber, and sends none to one still subscribing', () => {
    const hub = new Hub({ onFanout: () => {} });
    const [a, b, joining] = [new Collector(), new Collector(), new Collector()];
    for (const owner of [a, b]) {
      const s = new Subscription('c', owner);
      hub.add(s);
      s.goLive({ epoch: EPOCH, offset: 0 }, []);
    }
    hub.add(new Subscription('c', joining));
    const client = { client: 'x', user: null };
    hub.broadcast('c', { type: 'join', channel: 'c', client });
    hub.broadcast('nobody', { type: 'join', channel: 'nobody', client });
    assert.equal(a.prepared.length, 1);
    assert.equal(a.prepared[0], b.prepared[0]);
    assert.equal(a.prepared[0]!.json, '{"type":"join","channel":"c","client":{"client":"x","user":null}}');
    assert.equal(joining.prepared.length, 0);
  });

  it('reports first and last subscribers so the broker subscribes once per channel', () => {
    const hub = new Hub({ onFanout: () => {} });
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
  it('gives each channel a sid while it has local subscribers: shared, carried by its publications, never reused', () => {
    const hub = new Hub({ onFanout: () => {} });
    const seen: PreparedPublication[] = [];
    class Shared extends Collector {
      override sendPublication(p: PreparedPublication): void {
        seen.push(p);
      }
    }
    const a = new Subscription('c', new Shared());
    const b = new Subscription('c', new Shared());
    const d = new Subscription('d', new Shared());
    for (const s of [a, b, d]) {
      hub.add(s);
      s.goLive({ epoch: EPOCH, offset: 0 }, []);
    }
    assert.ok(a.sid > 0);
    assert.equal(b.sid, a.sid);
    assert.notEqual(d.sid, a.sid);
    assert.equal(hub.entry('c')?.sid, a.sid);
    hub.onPublication(pub(1));
    assert.equal(seen[0]?.sid, a.sid);
    assert.equal(seen[0]?.compactable, true);
    // The channel's last local subscriber leaves: its sid is gone, and the next time it gets a new one.
    hub.remove(a);
    assert.equal(hub.entry('c')?.sid, a.sid);
    hub.remove(b);
    assert.equal(hub.entry('c')?.sid, undefined);
    const again = new Subscription('c', new Shared());
    hub.add(again);
    assert.ok(again.sid > d.sid, `${again.sid} after ${d.sid}`);
  });
  it('keeps one record per channel: made with its first local subscriber, dropped with its last, with its own cursor prefix', () => {
    const hub = new Hub({ onFanout: () => {} });
    const seen: PreparedPublication[] = [];
    class Shared extends Collector {
      override sendPublication(p: PreparedPublication): void {
        seen.push(p);
      }
    }
    const names = Array.from({ length: 50 }, (_, i) => `room-${i}`);
    const subs = names.map((name) => new Subscription(name, new Shared()));
    assert.equal(hub.entry('room-0'), undefined);
    for (const s of subs) {
      assert.equal(hub.add(s), true);
      s.goLive({ epoch: EPOCH, offset: 0 }, []);
    }
    const second = new Subscription('room-0', new Shared());
    assert.equal(hub.add(second), false);
    second.goLive({ epoch: EPOCH, offset: 0 }, []);
    const record = hub.entry('room-0');
    assert.ok(record !== undefined);
    assert.equal(record.subscribers.size, 2);
    assert.equal(record.sid, subs[0]?.sid);
    assert.equal(record.stats, hub.stats('room-0'));
    // Publications alternate between channels: each carries its own channel's prefix, as the cursor codec makes it.
    for (const name of names) hub.onPublication({ ...pub(1), channel: name });
    assert.equal(seen.length, names.length + 1);
    for (const p of seen) {
      assert.equal(p.cursorPrefix, cursorPrefix([p.publication.channel]));
      assert.equal(p.sid, hub.entry(p.publication.channel)?.sid);
    }
    assert.notEqual(seen[0]?.cursorPrefix, seen.at(-1)?.cursorPrefix);
    assert.equal(hub.stats('room-0')?.published, 1);
    assert.equal(hub.stats('room-0')?.delivered, 2);
    // The record outlives all but the last subscriber; then it is gone with its stats and sid.
    assert.equal(hub.remove(subs[0]!), false);
    assert.equal(hub.entry('room-0'), record);
    assert.equal(hub.remove(second), true);
    assert.equal(hub.entry('room-0'), undefined);
    assert.equal(hub.stats('room-0'), undefined);
    assert.equal(hub.entry('room-0')?.sid, undefined);
    assert.equal(hub.subscriberCount('room-0'), 0);
    assert.equal(hub.channelCount, names.length - 1);
    // Back again: a fresh record (new sid, fresh stats), the same prefix (a function of the name alone).
    const back = new Subscription('room-0', new Shared());
    assert.equal(hub.add(back), true);
    assert.notEqual(hub.entry('room-0'), record);
    assert.equal(hub.entry('room-0')?.cursorPrefix, record.cursorPrefix);
    assert.equal(hub.stats('room-0')?.published, 0);
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
