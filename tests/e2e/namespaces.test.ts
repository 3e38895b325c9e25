// Namespaces decide what a channel does: client publishing (with the publisher's identity, and echo), last value
// on subscribe, message size, subscriber limits and anonymous access, the same over WebSocket and SSE.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

describe('namespaces', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({
      channel: { clientPublish: false },
      namespaces: {
        chat: { clientPublish: true, echo: false, maxMessageBytes: 64 },
        talk: { clientPublish: true },
        scores: { lastValue: true },
        room: { maxSubscribers: 2 },
        members: { anonymous: false },
        quotes: { delivery: { policy: 'latest', maxRate: 10 } },
      },
    });
  });
  after(() => hub.shutdown());

  const sse = (query: string) => SseTestClient.open(`${hub.url}/sse?${query}`);

  it('client publishing follows the namespace; the publication carries the publisher in info', async () => {
    const a = await WsTestClient.connect(hub.wsUrl);
    const b = await WsTestClient.connect(hub.wsUrl);
    await b.request({ type: 'subscribe', channel: 'talk:x' });
    const listener = await sse('channel=talk:x');
    await listener.waitFor((e) => e.frame.type === 'subscribed');
    const ok = await a.request({ type: 'publish', channel: 'talk:x', data: { t: 'hi' } });
    assert.equal(ok.type, 'published');
    const [m] = await b.waitMessages(1, 'talk:x');
    assert.deepEqual(m!.info, { client: a.frames[0]!.client, user: null });
    const [viaSse] = await listener.waitMessages(1, 'talk:x');
    assert.deepEqual(viaSse!.info, m!.info);

    const refused = await a.request({ type: 'publish', channel: 'plain', data: 1 });
    assert.equal(refused.code, 'forbidden');
    const tooBig = await a.request({ type: 'publish', channel: 'chat:x', data: 'x'.repeat(100) });
    assert.equal(tooBig.code, 'payload_too_large');
    await Promise.all([a.close(), b.close(), listener.close()]);
  });

  it('echo off: the publisher does not get its own publication; everyone else does', async () => {
    const a = await WsTestClient.connect(hub.wsUrl);
    const b = await WsTestClient.connect(hub.wsUrl);
    await a.request({ type: 'subscribe', channel: 'chat:room' });
    await b.request({ type: 'subscribe', channel: 'chat:room' });
    await a.request({ type: 'publish', channel: 'chat:room', data: 'from a' });
    await b.request({ type: 'publish', channel: 'chat:room', data: 'from b' });
    const got = await b.waitMessages(1, 'chat:room');
    assert.deepEqual(
      got.map((m) => m.data),
      ['from a'],
    );
    await a.waitMessages(1, 'chat:room');
    // A ping answered after both publications proves nothing else is on its way.
    await a.request({ type: 'ping' });
    await b.request({ type: 'ping' });
    assert.deepEqual(
      a.messages('chat:room').map((m) => m.data),
      ['from b'],
    );
    assert.deepEqual(
      b.messages('chat:room').map((m) => m.data),
      ['from a'],
    );
    await Promise.all([a.close(), b.close()]);
  });

  it('last value: a new subscriber gets the newest publication right after subscribed, on both transports', async () => {
    const empty = await WsTestClient.connect(hub.wsUrl);
    await empty.request({ type: 'subscribe', channel: 'scores:none' });
    await empty.request({ type: 'ping' });
    assert.equal(empty.messages().length, 0, 'no publication yet: nothing sent');
    await empty.close();

    await hub.publish('scores:final', { home: 1 });
    const last = await hub.publish('scores:final', { home: 2 });
    const ws = await WsTestClient.connect(hub.wsUrl);
    const sub = await ws.request({ type: 'subscribe', channel: 'scores:final' });
    assert.equal(sub.offset, last.offset);
    const [m] = await ws.waitMessages(1);
    assert.deepEqual([m!.offset, m!.data], [last.offset, { home: 2 }]);
    assert.ok(ws.frames.indexOf(sub) < ws.frames.indexOf(m!), 'after subscribed');

    const stream = await sse('channel=scores:final');
    const [s] = await stream.waitMessages(1);
    assert.deepEqual([s!.offset, s!.data], [last.offset, { home: 2 }]);
    assert.equal(
      stream.events.at(-1)!.id?.endsWith(`-${last.offset}`),
      true,
      'the cursor is at the last value',
    );

    const live = await hub.publish('scores:final', { home: 3 });
    const both = await ws.waitMessages(2);
    assert.deepEqual(
      both.map((x) => x.offset),
      [last.offset, live.offset],
    );
    await Promise.all([ws.close(), stream.close()]);
  });

  it('last value and resume: a recovered resume gets what it missed; an unrecoverable one gets the last value', async () => {
    const first = await hub.publish('scores:r', 'a');
    await hub.publish('scores:r', 'b');
    const c = await WsTestClient.connect(hub.wsUrl);
    const resumed = await c.request({
      type: 'subscribe',
      channel: 'scores:r',
      since: { epoch: first.epoch, offset: first.offset },
    });
    assert.equal(resumed.recovered, true);
    await c.request({ type: 'ping' });
    assert.deepEqual(
      c.messages().map((m) => m.data),
      ['b'],
    );
    const up = await c.request({ type: 'subscribe', channel: 'scores:r2' });
    assert.equal(up.type, 'subscribed');
    await hub.publish('scores:r3', 'x');
    const y = await hub.publish('scores:r3', 'y');
    const lost = await c.request({
      type: 'subscribe',
      channel: 'scores:r3',
      since: { epoch: 'other', offset: 1 },
    });
    assert.equal(lost.recovered, false);
    const [m] = await c.waitMessages(1, 'scores:r3');
    assert.deepEqual([m!.offset, m!.data], [y.offset, 'y']);
    await c.close();
  });

  it('maxSubscribers: past the limit, WebSocket gets channel_full and SSE a 503 before the stream', async () => {
    const a = await WsTestClient.connect(hub.wsUrl);
    const b = await WsTestClient.connect(hub.wsUrl);
    assert.equal((await a.request({ type: 'subscribe', channel: 'room:1' })).type, 'subscribed');
    assert.equal((await b.request({ type: 'subscribe', channel: 'room:1' })).type, 'subscribed');
    const c = await WsTestClient.connect(hub.wsUrl);
    const full = await c.request({ type: 'subscribe', channel: 'room:1' });
    assert.equal(full.code, 'channel_full');
    const refused = await sse('channel=room:1');
    assert.equal(refused.response.statusCode, 503);
    await refused.ended();
    assert.match(refused.raw, /"code":"channel_full"/);
    await a.request({ type: 'unsubscribe', channel: 'room:1' });
    assert.equal((await c.request({ type: 'subscribe', channel: 'room:1' })).type, 'subscribed');
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('anonymous off: anonymous connections may not subscribe (unauthorized: credentials needed; SSE 401)', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const r = await c.request({ type: 'subscribe', channel: 'members:1' });
    assert.equal(r.code, 'unauthorized');
    const refused = await sse('channel=members:1');
    assert.equal(refused.response.statusCode, 401);
    await Promise.all([c.close(), refused.ended()]);
  });

  it('a rate is refused where the policy cannot honour it, and malformed SSE rates are 400', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const r = await c.request({ type: 'subscribe', channel: 'talk:y', rate: 5 });
    assert.equal(r.code, 'bad_request');
    const ok = await c.request({ type: 'subscribe', channel: 'quotes:A', rate: 5 });
    assert.deepEqual([ok.delivery, ok.rate], ['latest', 5]);
    await c.close();
    for (const query of [
      'channel=talk:y&rate=5',
      'channel=quotes:A&rate=0',
      'channel=quotes:A&rate=fast',
      'channel=quotes:A&rate=quotes:B:5',
    ]) {
      const refused = await sse(query);
      assert.equal(refused.response.statusCode, 400, query);
      await refused.ended();
    }
    const stream = await sse('channel=quotes:A&channel=quotes:B&rate=3&rate=quotes:B:20');
    const subs = await Promise.all([
      stream.waitFor((e) => e.frame.type === 'subscribed' && e.frame.channel === 'quotes:A'),
      stream.waitFor((e) => e.frame.type === 'subscribed' && e.frame.channel === 'quotes:B'),
    ]);
    assert.deepEqual(
      subs.map((e) => e.frame.rate),
      [3, 10],
    );
    await stream.close();
  });
});
