// The Pusher Channels dialect with the real clients from npm, unmodified: pusher-js (Node build) subscribing,
// the `pusher` server SDK triggering events and authorizing channels and users in the test's auth endpoint.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import {
  APP,
  type AuthServer,
  collect,
  connectPusherJs,
  type PusherJs,
  serverSdk,
  startAuthServer,
  subscribed,
} from '../helpers/pusher.ts';
import { SseTestClient } from '../helpers/sse-client.ts';

describe('Pusher dialect: pusher-js and the pusher server SDK', () => {
  let hub: TestHub;
  let auth: AuthServer;
  const clients: PusherJs[] = [];
  const sdk = () => serverSdk(hub);
  const client = async (a: AuthServer | null = auth) => {
    const c = await connectPusherJs(hub, a);
    clients.push(c);
    return c;
  };

  before(async () => {
    hub = await startTestHub({ pusher: { apps: [APP], clientEventRate: 5 } });
    auth = await startAuthServer(sdk());
  });
  after(async () => {
    // A client the hub already closed is left alone: closing faye-websocket's closed socket again arms a 30 s
    // timer that keeps the process alive.
    for (const c of clients) if (c.connection.state !== 'disconnected') c.disconnect();
    await auth.close();
    await hub.shutdown();
  });

  it('connects at /app/{key} and gets a socket id the SDK accepts', async () => {
    const c = await client(null);
    assert.match(c.connection.socket_id, /^\d+\.\d+$/);
  });

  it('delivers an event the SDK triggers on a public channel, with its data', async () => {
    const c = await client(null);
    const ch = await subscribed(c, 'news');
    const got = collect(ch, 'headline');
    const res = await sdk().trigger('news', 'headline', { title: 'hello' });
    assert.equal(res.status, 200);
    await until(
      () => got.length === 1,
      () => 'headline',
      10_000,
    );
    assert.deepEqual(got[0], { title: 'hello' });
  });

  it('excludes the socket named by socket_id, and only it', async () => {
    const a = await client(null);
    const b = await client(null);
    const ga = collect(await subscribed(a, 'excl'), 'e');
    const gb = collect(await subscribed(b, 'excl'), 'e');
    await sdk().trigger('excl', 'e', { n: 1 }, { socket_id: a.connection.socket_id });
    await sdk().trigger('excl', 'e', { n: 2 });
    await until(
      () => gb.length === 2 && ga.length === 1,
      () => 'both events at b, the second at a',
      10_000,
    );
    assert.deepEqual(ga, [{ n: 2 }]);
    assert.deepEqual(gb, [{ n: 1 }, { n: 2 }]);
  });

  it('authorizes private channels through the SDK, and refuses a bad signature', async () => {
    const c = await client();
    const ch = await subscribed(c, 'private-orders');
    const got = collect(ch, 'created');
    await sdk().trigger('private-orders', 'created', { id: 7 });
    await until(
      () => got.length === 1,
      () => 'private event',
      10_000,
    );
    const wrong = await startAuthServer(serverSdk(hub, { ...APP, secret: 'not-the-secret' }));
    try {
      const bad = await client(wrong);
      await assert.rejects(subscribed(bad, 'private-orders'), (e: Error & { detail?: any }) => {
        assert.equal(e.detail.status, 401);
        return true;
      });
    } finally {
      await wrong.close();
    }
  });

  it('passes private-encrypted payloads through untouched (the SDK encrypts, pusher-js decrypts)', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const { default: Pusher } = await import('pusher');
    const encSdk = new Pusher({
      appId: APP.id,
      key: APP.key,
      secret: APP.secret,
      host: '127.0.0.1',
      port: String(hub.port),
      useTLS: false,
      encryptionMasterKeyBase64: key,
    });
    const encAuth = await startAuthServer(encSdk);
    try {
      const c = await client(encAuth);
      const ch = await subscribed(c, 'private-encrypted-vault');
      const got = collect(ch, 'secret');
      await encSdk.trigger('private-encrypted-vault', 'secret', { code: 42 });
      await until(
        () => got.length === 1,
        () => 'decrypted event',
        10_000,
      );
      assert.deepEqual(got[0], { code: 42 });
    } finally {
      await encAuth.close();
    }
  });

  it('lists presence members, and tells member_added / member_removed between two clients', async () => {
    auth.users.clear();
    const a = await client();
    auth.users.set(a.connection.socket_id, { user_id: 'alice', user_info: { name: 'Alice' } });
    const pa = (await subscribed(a, 'presence-room')) as any;
    assert.equal(pa.members.count, 1);
    assert.equal(pa.members.me.id, 'alice');
    const added: any[] = [];
    const removed: any[] = [];
    pa.bind('pusher:member_added', (m: unknown) => added.push(m));
    pa.bind('pusher:member_removed', (m: unknown) => removed.push(m));
    const b = await client();
    auth.users.set(b.connection.socket_id, { user_id: 'bob', user_info: { name: 'Bob' } });
    const pb = (await subscribed(b, 'presence-room')) as any;
    assert.equal(pb.members.count, 2);
    assert.deepEqual(pb.members.get('alice').info, { name: 'Alice' });
    await until(
      () => added.length === 1,
      () => 'member_added at alice',
      10_000,
    );
    assert.deepEqual(added[0], { id: 'bob', info: { name: 'Bob' } });
    const users = await sdk().get({ path: '/channels/presence-room/users' });
    assert.deepEqual(((await users.json()) as any).users.map((u: any) => u.id).sort(), ['alice', 'bob']);
    const info = await sdk().get({
      path: '/channels/presence-room',
      params: { info: 'user_count,subscription_count' },
    });
    assert.deepEqual(await info.json(), { occupied: true, user_count: 2, subscription_count: 2 });
    b.unsubscribe('presence-room');
    await until(
      () => removed.length === 1,
      () => 'member_removed at alice',
      10_000,
    );
    assert.deepEqual(removed[0], { id: 'bob', info: { name: 'Bob' } });
    assert.equal(pa.members.count, 1);
  });

  it('relays client events on private channels to the others, never back, and rate-limits them', async () => {
    const a = await client();
    const b = await client();
    const ca = await subscribed(a, 'private-chat');
    const cb = await subscribed(b, 'private-chat');
    const atA = collect(ca, 'client-typing');
    const atB = collect(cb, 'client-typing');
    assert.equal(ca.trigger('client-typing', { who: 'a' }), true);
    await until(
      () => atB.length === 1,
      () => 'client event at b',
      10_000,
    );
    assert.deepEqual(atB[0], { who: 'a' });
    // The rate is 5 a second, bursts of 10: of 30 sent at once some are refused with 4301.
    const errors: any[] = [];
    a.connection.bind('error', (e: any) => errors.push(e));
    for (let i = 0; i < 30; i++) ca.trigger('client-typing', { i });
    await until(
      () => errors.some((e) => e.data?.code === 4301),
      () => 'a 4301 error',
      10_000,
    );
    // Nothing came back to the sender: a publish of the hub's own after it arrives at both, then a is checked.
    await sdk().trigger('private-chat', 'client-typing', { from: 'server' });
    await until(
      () => atA.length === 1,
      () => 'server event at a',
      10_000,
    );
    assert.deepEqual(atA, [{ from: 'server' }]);
    assert.ok(atB.length < 31, `${atB.length} client events got through`);
  });

  it('refuses a client event on a public channel', async () => {
    const a = await client(null);
    const ch = await subscribed(a, 'public-chat');
    const errors: any[] = [];
    a.connection.bind('error', (e: any) => errors.push(e));
    ch.trigger('client-x', {});
    await until(
      () => errors.length === 1,
      () => 'an error',
      10_000,
    );
    assert.match(errors[0].data.message, /private and presence channels only/);
  });

  it('refuses an unknown app key with 4001', async () => {
    const c = await connectPusherJs(hub, null, 'no-such-key');
    clients.push(c);
    const errors: any[] = [];
    c.connection.bind('error', (e: any) => errors.push(e));
    // Refused in the handshake: pusher-js reports it wrapped, and does not retry (4000–4099).
    await until(
      () => errors.some((e) => e.error?.data?.code === 4001),
      () => 'error 4001',
      10_000,
    );
    await until(
      () => c.connection.state === 'disconnected',
      () => 'gave up',
      10_000,
    );
  });

  it('hands a cache channel subscriber the last event, and says cache_miss on an empty one', async () => {
    await sdk().trigger('cache-prices', 'tick', { p: 1 });
    await sdk().trigger('cache-prices', 'tick', { p: 2 });
    const c = await client(null);
    const misses: unknown[] = [];
    const ch = c.subscribe('cache-prices');
    const got = collect(ch, 'tick');
    await until(
      () => got.length === 1,
      () => 'cached event',
      10_000,
    );
    assert.deepEqual(got, [{ p: 2 }]);
    const empty = c.subscribe('cache-empty');
    empty.bind('pusher:cache_miss', () => misses.push(1));
    await until(
      () => misses.length === 1,
      () => 'cache_miss',
      10_000,
    );
  });

  it('batch_events reach each channel; channels lists occupied ones', async () => {
    const c = await client(null);
    const g1 = collect(await subscribed(c, 'batch-1'), 'b');
    const g2 = collect(await subscribed(c, 'batch-2'), 'b');
    const res = await sdk().triggerBatch([
      { channel: 'batch-1', name: 'b', data: { n: 1 } },
      { channel: 'batch-2', name: 'b', data: { n: 2 } },
    ]);
    assert.equal(res.status, 200);
    await until(
      () => g1.length === 1 && g2.length === 1,
      () => 'batch events',
      10_000,
    );
    const list = await sdk().get({ path: '/channels', params: { filter_by_prefix: 'batch-' } });
    assert.deepEqual(Object.keys(((await list.json()) as any).channels).sort(), ['batch-1', 'batch-2']);
  });

  it('signs a user in, sends to the user, and terminates its connections', async () => {
    const c = await client();
    auth.users.set(c.connection.socket_id, { user_id: 'carol' });
    const got: unknown[] = [];
    c.user.bind('note', (d: unknown) => got.push(d));
    c.signin();
    await until(
      () => (c.user as any).user_data?.id === 'carol',
      () => 'signed in',
      10_000,
    );
    // pusher-js subscribes #server-to-user-carol itself; wait until the hub has it.
    await untilAsync(
      async () =>
        ((await (await sdk().get({ path: '/channels' })).json()) as any).channels['#server-to-user-carol'] !==
        undefined,
      () => 'user channel subscribed',
      10_000,
    );
    await sdk().sendToUser('carol', 'note', { hi: 1 });
    await until(
      () => got.length === 1,
      () => 'user event',
      10_000,
    );
    assert.deepEqual(got[0], { hi: 1 });
    const errors: any[] = [];
    c.connection.bind('error', (e: any) => errors.push(e));
    await sdk().terminateUserConnections('carol');
    await until(
      () => errors.some((e) => e.data?.code === 4009),
      () => '4009',
      10_000,
    );
  });

  it('refuses a REST request with a bad signature (401), and the SDK with the right one works', async () => {
    const bad = serverSdk(hub, { ...APP, secret: 'wrong' });
    await assert.rejects(bad.trigger('news', 'x', {}), (e: any) => e.status === 401);
    const ok = await sdk().trigger('news', 'x', {});
    assert.equal(ok.status, 200);
  });

  it('one hub, two dialects: a pusher-js subscriber and an SSE subscriber get the same events', async () => {
    const c = await client(null);
    const got = collect(await subscribed(c, 'shared'), 'update');
    const messages = collect(c.channel('shared')!, 'message');
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=shared`);
    try {
      await until(
        () => sse.frames('subscribed').length === 1,
        () => 'sse subscribed',
        10_000,
      );
      await sdk().trigger('shared', 'update', { v: 1 });
      await hub.publish('shared', { v: 2 });
      await until(
        () => got.length === 1 && messages.length === 1,
        () => 'both at pusher-js',
        10_000,
      );
      assert.deepEqual(got[0], { v: 1 });
      assert.deepEqual(messages[0], { v: 2 });
      const frames = await sse.waitMessages(2);
      assert.deepEqual(frames[0]!.data, { event: 'update', data: '{"v":1}' });
      assert.equal(frames[0]!.offset, 1);
      assert.deepEqual(frames[1]!.data, { v: 2 });
    } finally {
      sse.close();
    }
  });

  it('keeps private and presence channels closed to anonymous Switchboard connections', async () => {
    for (const channel of ['private-orders', 'presence-room', 'private-encrypted-vault']) {
      const res = await fetch(`${hub.url}/sse?channel=${channel}`);
      assert.equal(res.status, 401, channel);
      await res.body?.cancel();
    }
  });
});
