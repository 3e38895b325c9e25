// Finding 4 of the second hardening pass: connection tokens and subscription tokens cannot stand in for each
// other (the `channel` claim makes a subscription token), on WebSocket and SSE; and what a connection whose token
// has no `sub` may do: what its patterns grant, no user channel, past `auth.connectTimeout`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { sign, TEST_SECRET } from '../helpers/jwt.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

describe('connection and subscription tokens', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({
      auth: { secret: TEST_SECRET, subscriptionTokenChannels: ['private:*'], connectTimeoutMs: 300 },
    });
  });
  after(async () => {
    await hub?.shutdown();
  });

  it('refuses a subscription token as a connection token, so it never reaches the user channel', async () => {
    const subscriptionToken = await sign({ sub: '42', channel: 'private:room1' });
    const c = await WsTestClient.connect(hub.wsUrl);
    const reply = await c.request({ type: 'auth', token: subscriptionToken });
    assert.equal(reply.code, 'unauthorized');
    await c.closed();
    assert.equal(c.closeCode, 4501);
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=user%2342`, {
      authorization: `Bearer ${subscriptionToken}`,
    });
    assert.equal(sse.response.statusCode, 401);
    await sse.close();
  });

  it('refuses a connection token as a subscription token, and takes the real one', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const connectionToken = await sign({ sub: '42', subscribe: ['*'] });
    assert.equal((await c.request({ type: 'auth', token: connectionToken })).type, 'authed');
    const swapped = await c.request({ type: 'subscribe', channel: 'private:room1', token: connectionToken });
    assert.equal(swapped.code, 'unauthorized');
    const real = await sign({ sub: '42', channel: 'private:room1' });
    assert.equal(
      (await c.request({ type: 'subscribe', channel: 'private:room1', token: real })).type,
      'subscribed',
    );
    assert.equal((await c.request({ type: 'subscribe', channel: 'user#42' })).type, 'subscribed');
    await c.close();
  });

  it('lets a connection without a user do what its patterns grant, no user channel, past connectTimeout', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const authed = await c.request({ type: 'auth', token: await sign({ subscribe: ['news:*'] }) });
    assert.equal(authed.type, 'authed');
    assert.equal(authed.user ?? null, null);
    assert.equal((await c.request({ type: 'subscribe', channel: 'news:a' })).type, 'subscribed');
    assert.equal((await c.request({ type: 'subscribe', channel: 'other:a' })).code, 'forbidden');
    for (const channel of ['user#42', 'user#', 'user#null'])
      assert.notEqual((await c.request({ type: 'subscribe', channel })).type, 'subscribed', channel);
    // Well past auth.connectTimeout: a verified token, user or not, is credentials.
    await new Promise((r) => setTimeout(r, 900));
    assert.equal(c.closeCode, undefined);
    await hub.publish('news:a', 'still here');
    await c.waitMessages(1, 'news:a');
    await c.close();
  });
});

describe("a namespace's anonymous only narrows", () => {
  it('does not open a channel to anonymous clients while auth.anonymous is off', async () => {
    const hub = await startTestHub({
      auth: { secret: TEST_SECRET, anonymous: false, connectTimeoutMs: 5_000 },
      namespaces: { open: { anonymous: true } },
    });
    try {
      const c = await WsTestClient.connect(hub.wsUrl);
      assert.equal((await c.request({ type: 'subscribe', channel: 'open:a' })).code, 'unauthorized');
      await c.close();
      const sse = await SseTestClient.open(`${hub.url}/sse?channel=open:a`);
      assert.equal(sse.response.statusCode, 401);
      await sse.close();
    } finally {
      await hub.shutdown();
    }
  });
});
