import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

describe('WebSocket transport', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ channel: { clientPublish: true, joinLeave: true } });
  });
  after(() => hub.shutdown());

  it('greets with a connected frame', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const hello = c.frames[0]!;
    assert.equal(hello.type, 'connected');
    assert.equal(hello.transport, 'websocket');
    assert.equal(hello.version, 1);
    assert.match(hello.client, /^[0-9a-f-]{36}$/);
    assert.equal(typeof hello.heartbeat, 'number');
    await c.close();
  });

  it('subscribes to many channels on one connection and receives publications with positions', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const a = await c.request({ type: 'subscribe', channel: 'ws:a' });
    const b = await c.request({ type: 'subscribe', channel: 'ws:b' });
    assert.equal(a.type, 'subscribed');
    assert.equal(a.channel, 'ws:a');
    assert.equal(a.offset, 0);
    assert.equal(a.recoverable, true);
    assert.equal('recovered' in a, false);
    assert.equal(b.type, 'subscribed');
    const p1 = await hub.publish('ws:a', { n: 1 });
    const p2 = await hub.publish('ws:b', { n: 2 });
    const p3 = await hub.publish('ws:a', { text: 'line1\nline2 ✓' });
    const got = await c.waitMessages(3);
    assert.deepEqual(
      got.map((m) => [m.channel, m.epoch, m.offset, m.data]),
      [
        ['ws:a', p1.epoch, 1, { n: 1 }],
        ['ws:b', p2.epoch, 1, { n: 2 }],
        ['ws:a', p3.epoch, 2, { text: 'line1\nline2 ✓' }],
      ],
    );
    assert.equal(a.epoch, p1.epoch);
    await c.close();
  });

  it('unsubscribe stops delivery and is answered', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'ws:unsub' });
    const r = await c.request({ type: 'unsubscribe', channel: 'ws:unsub' });
    assert.deepEqual(r, { type: 'unsubscribed', id: r.id, channel: 'ws:unsub' });
    const again = await c.request({ type: 'unsubscribe', channel: 'ws:unsub' });
    assert.equal(again.type, 'error');
    assert.equal(again.code, 'not_subscribed');
    await hub.publish('ws:unsub', 1);
    const pong = await c.request({ type: 'ping' });
    assert.equal(pong.type, 'pong');
    assert.equal(c.messages('ws:unsub').length, 0);
    await c.close();
  });

  it('resumes from a position with exactly the missed publications, then live', async () => {
    const c1 = await WsTestClient.connect(hub.wsUrl);
    await c1.request({ type: 'subscribe', channel: 'ws:resume' });
    await hub.publish('ws:resume', 1);
    await hub.publish('ws:resume', 2);
    const seen = await c1.waitMessages(2);
    const last = seen.at(-1)!;
    await c1.close();
    for (let i = 3; i <= 6; i++) await hub.publish('ws:resume', i);

    const c2 = await WsTestClient.connect(hub.wsUrl);
    const sub = await c2.request({
      type: 'subscribe',
      channel: 'ws:resume',
      since: { epoch: last.epoch, offset: last.offset },
    });
    assert.equal(sub.recovered, true);
    assert.equal(sub.offset, 6);
    await hub.publish('ws:resume', 7);
    const got = await c2.waitMessages(5);
    assert.deepEqual(
      got.map((m) => m.data),
      [3, 4, 5, 6, 7],
    );
    assert.deepEqual(
      got.map((m) => m.offset),
      [3, 4, 5, 6, 7],
    );
    // The subscribed reply comes before the replayed publications.
    assert.ok(c2.frames.indexOf(sub) < c2.frames.indexOf(got[0]!));
    await c2.close();
  });

  it('says recovered: false when the position is from another epoch or too old', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const p = await hub.publish('ws:lost', 'x');
    const other = await c.request({
      type: 'subscribe',
      channel: 'ws:lost',
      since: { epoch: 'someotherepoch', offset: 1 },
    });
    assert.equal(other.recovered, false);
    assert.equal(other.epoch, p.epoch);
    assert.equal(other.offset, 1);
    await c.request({ type: 'unsubscribe', channel: 'ws:lost' });
    const ahead = await c.request({
      type: 'subscribe',
      channel: 'ws:lost',
      since: { epoch: p.epoch, offset: 99 },
    });
    assert.equal(ahead.recovered, false);
    await c.close();

    const small = await startTestHub({ channel: { history: { size: 2 } } });
    try {
      const first = await small.publish('tiny', 1);
      for (let i = 2; i <= 5; i++) await small.publish('tiny', i);
      const c2 = await WsTestClient.connect(small.wsUrl);
      const r = await c2.request({
        type: 'subscribe',
        channel: 'tiny',
        since: { epoch: first.epoch, offset: 1 },
      });
      assert.equal(r.recovered, false);
      assert.equal(r.offset, 5);
      await small.publish('tiny', 6);
      const live = await c2.waitMessages(1);
      assert.deepEqual(
        live.map((m) => m.data),
        [6],
      );
      await c2.close();
    } finally {
      await small.shutdown();
    }
  });

  it('answers history with positions, since and limit', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    for (let i = 1; i <= 5; i++) await hub.publish('ws:hist', { i });
    const all = await c.request({ type: 'history', channel: 'ws:hist' });
    assert.equal(all.type, 'history');
    assert.equal(all.offset, 5);
    assert.deepEqual(
      all.publications.map((p: { offset: number; data: unknown }) => [p.offset, p.data]),
      [1, 2, 3, 4, 5].map((i) => [i, { i }]),
    );
    const since = await c.request({
      type: 'history',
      channel: 'ws:hist',
      since: { epoch: all.epoch, offset: 3 },
    });
    assert.equal(since.recovered, true);
    assert.deepEqual(
      since.publications.map((p: { offset: number }) => p.offset),
      [4, 5],
    );
    const limited = await c.request({ type: 'history', channel: 'ws:hist', limit: 2 });
    assert.deepEqual(
      limited.publications.map((p: { offset: number }) => p.offset),
      [4, 5],
    );
    await c.close();
  });

  it('reports presence with join and leave frames', async () => {
    const watcher = await WsTestClient.connect(hub.wsUrl);
    await watcher.request({ type: 'subscribe', channel: 'ws:room' });
    const other = await WsTestClient.connect(hub.wsUrl);
    const otherId = other.frames[0]!.client as string;
    await other.request({ type: 'subscribe', channel: 'ws:room' });
    const join = await watcher.next((f) => f.type === 'join' && f.client.client === otherId);
    assert.deepEqual(join, { type: 'join', channel: 'ws:room', client: { client: otherId, user: null } });
    const presence = await watcher.request({ type: 'presence', channel: 'ws:room' });
    assert.deepEqual(
      presence.clients.map((c: { client: string }) => c.client).sort(),
      [watcher.frames[0]!.client, otherId].sort(),
    );
    await other.close();
    const leave = await watcher.next((f) => f.type === 'leave');
    assert.equal(leave.client.client, otherId);
    await watcher.close();
  });

  it('lets clients publish where allowed, with their identity, and refuses it elsewhere', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'ws:chat' });
    const r = await c.request({ type: 'publish', channel: 'ws:chat', data: { text: 'hi' } });
    assert.equal(r.type, 'published');
    assert.equal(r.offset, 1);
    const [m] = await c.waitMessages(1);
    assert.deepEqual(m!.info, { client: c.frames[0]!.client, user: null });
    await c.close();

    const closed = await startTestHub();
    try {
      const c2 = await WsTestClient.connect(closed.wsUrl);
      const refused = await c2.request({ type: 'publish', channel: 'x', data: 1 });
      assert.equal(refused.type, 'error');
      assert.equal(refused.code, 'forbidden');
      await c2.close();
    } finally {
      await closed.shutdown();
    }
  });

  it('deduplicates a retried publish by its idempotency key', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'ws:idem' });
    const first = await c.request({ type: 'publish', channel: 'ws:idem', data: 1, idempotencyKey: 'k1' });
    const retry = await c.request({ type: 'publish', channel: 'ws:idem', data: 1, idempotencyKey: 'k1' });
    assert.equal(retry.offset, first.offset);
    await hub.publish('ws:idem', 'after');
    await c.waitMessages(2);
    assert.deepEqual(
      c.messages().map((m) => m.data),
      [1, 'after'],
    );
    await c.close();
  });
});
