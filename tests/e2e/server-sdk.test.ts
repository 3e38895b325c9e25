// @switchboard/server-sdk against a running hub: the typed HTTP API with coded errors and retries that carry an
// idempotency key, tokens the hub accepts, webhooks verified (and forged or stale ones refused), and proxy hooks
// answered by the SDK's framework-agnostic handlers.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  connectionToken,
  deny,
  hookHandler,
  Switchboard,
  type SwitchboardApiError,
  subscriptionToken,
  verifyWebhook,
  type WebhookVerificationError,
} from '@switchboard/server-sdk';
import { until } from '@switchboard/test-helpers/wait';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const SECRET = 'jwt-secret-'.padEnd(40, 'x');
const WEBHOOK_SECRET = 'webhook-secret-'.padEnd(40, 'y');

/** A Node HTTP server around a fetch-style handler: what a backend on Node writes to use the SDK's handlers. */
async function serveFetch(
  handler: (r: Request) => Promise<Response>,
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const response = await handler(
      new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
      }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('@switchboard/server-sdk', () => {
  let hub: TestHub;
  let sdk: Switchboard;
  let backend: { url: string; server: Server };
  const webhooks: { body: string; signature: string | null }[] = [];

  before(async () => {
    const subscribe = hookHandler('subscribe', (req, request) =>
      req.channel === 'app:vip' && request.headers.get('cookie') !== 'vip=1'
        ? deny('members only')
        : { info: { via: 'sdk' } },
    );
    const rpc = hookHandler('rpc', (req) => ({ data: { method: req.method, twice: Number(req.data) * 2 } }));
    backend = await serveFetch(async (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/subscribe') return subscribe(request);
      if (path === '/rpc') return rpc(request);
      webhooks.push({ body: await request.text(), signature: request.headers.get('switchboard-signature') });
      return new Response(null, { status: 204 });
    });
    hub = await startTestHub({
      auth: { secret: SECRET, anonymous: true, subscriptionTokenChannels: ['private:*'] },
      channel: { presence: true },
      namespaces: {
        app: { proxy: { subscribe: `${backend.url}/subscribe`, rpc: `${backend.url}/rpc` } },
      },
      proxy: { headers: ['cookie'] },
      webhooks: { url: `${backend.url}/webhooks`, secret: WEBHOOK_SECRET, events: ['channel_occupied'] },
    });
    sdk = new Switchboard({ url: hub.url, apiKey: TEST_API_KEY });
  });
  after(async () => {
    await hub?.shutdown();
    backend?.server.close();
  });

  it('publish, broadcast, history, presence, channels, disconnect and tickets, typed', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'news' });
    const p = await sdk.publish('news', { n: 1 });
    assert.equal(p.channel, 'news');
    assert.equal(p.offset, 1);
    const b = await sdk.broadcast(['news', 'other'], { n: 2 });
    assert.deepEqual(
      b.results.map((r) => r.channel),
      ['news', 'other'],
    );
    const h = await sdk.history<{ n: number }>('news');
    assert.deepEqual(
      h.publications.map((x) => x.data.n),
      [1, 2],
    );
    assert.equal((await sdk.presence('news')).clients[0]!.client, c.frames[0]!.client);
    assert.ok((await sdk.channels()).channels.some((x) => x.channel === 'news'));
    const t = await sdk.ticket('u1', { subscribe: ['news'] });
    assert.equal(typeof t.ticket, 'string');
    assert.deepEqual(await sdk.disconnect({ client: c.frames[0]!.client }), { disconnected: 1 });
    await c.closed();
  });

  it('publishMany: one request, one result per message in order, a bad one coded, a retry never doubled', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'many' });
    const messages = [
      { channel: 'many', data: 1, idempotencyKey: 'm-1' },
      { channel: 'bad channel', data: 2 },
      { channel: 'many', data: 3 },
    ];
    const results = await sdk.publishMany(messages);
    assert.equal(results.length, 3);
    assert.deepEqual(
      results.map((r) => ('offset' in r ? r.offset : r.code)),
      [1, 'invalid_channel', 2],
    );
    // The same message again, with the same key: answered as a duplicate, delivered once.
    const again = await sdk.publishMany([messages[0]!]);
    assert.deepEqual(again, [{ ...results[0], duplicate: true }]);
    await c.waitMessages(2, 'many');
    assert.deepEqual(await sdk.publishMany([]), []);
    await c.close();
  });

  it('coded errors: a bad channel, a bad key, nobody to disconnect', async () => {
    await assert.rejects(sdk.publish('bad channel', 1), (e: SwitchboardApiError) => {
      assert.equal(e.code, 'invalid_channel');
      assert.equal(e.status, 400);
      assert.equal(e.retryable, false);
      return true;
    });
    const wrong = new Switchboard({ url: hub.url, apiKey: 'wrong-key-0123456789' });
    await assert.rejects(wrong.publish('news', 1), { code: 'unauthorized', status: 401 });
    await assert.rejects(sdk.disconnect({ user: 'nobody' }), { code: 'not_found' });
    const dead = new Switchboard({ url: 'http://127.0.0.1:1', apiKey: 'k', retries: 1, backoffMs: 1 });
    await assert.rejects(dead.publish('news', 1), { code: 'network', status: 0 });
  });

  it('a retry after a lost answer carries the same idempotency key: published once', async () => {
    let calls = 0;
    const lossy = new Switchboard({
      url: hub.url,
      apiKey: TEST_API_KEY,
      backoffMs: 1,
      // The request reaches the hub, but the first answer is lost on the way back.
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        if (calls++ === 0) throw new TypeError('connection reset');
        return res;
      },
    });
    const before = (await sdk.history('once')).offset;
    const p = await lossy.publish('once', { x: 1 });
    assert.equal(calls, 2);
    assert.equal(p.duplicate, true, 'the retry found the first publish');
    assert.equal((await sdk.history('once')).offset, before + 1);
  });

  it('connection and subscription tokens minted with jose are accepted by the hub', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const token = await connectionToken(
      { sub: 'ada', info: { name: 'Ada' } },
      { secret: SECRET, expiresIn: 60 },
    );
    const authed = await c.request({ type: 'auth', token });
    assert.equal(authed.user, 'ada');
    const sub = await subscriptionToken({ channel: 'private:x', sub: 'ada' }, { secret: SECRET });
    assert.equal(
      (await c.request({ type: 'subscribe', channel: 'private:x', token: sub })).type,
      'subscribed',
    );
    const other = await subscriptionToken({ channel: 'private:y', sub: 'ada' }, { secret: SECRET });
    assert.equal(
      (await c.request({ type: 'subscribe', channel: 'private:x2', token: other })).code,
      'unauthorized',
    );
    await c.close();
  });

  it('proxy hooks answered by hookHandler: allow with info, deny by a forwarded cookie, rpc', async () => {
    const guest = await WsTestClient.connect(hub.wsUrl);
    assert.equal((await guest.request({ type: 'subscribe', channel: 'app:vip' })).message, 'members only');
    const vip = await WsTestClient.connect(hub.wsUrl, { headers: { cookie: 'vip=1' } });
    assert.equal((await vip.request({ type: 'subscribe', channel: 'app:vip' })).type, 'subscribed');
    const presence = await vip.request({ type: 'presence', channel: 'app:vip' });
    assert.deepEqual(presence.clients[0].info, { via: 'sdk' });
    const rpc = await guest.request({ type: 'rpc', method: 'app:double', data: 21 });
    assert.deepEqual(rpc.data, { method: 'app:double', twice: 42 });
    await guest.close();
    await vip.close();
  });

  it('verifyWebhook accepts the hub’s webhooks and refuses forged or stale ones', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'hooked-by-webhook' });
    const got = await until(
      () => webhooks.find((w) => w.body.includes('hooked-by-webhook')),
      () => `webhooks: ${webhooks.length}`,
    );
    const payload = await verifyWebhook(got.body, got.signature, { secret: WEBHOOK_SECRET });
    assert.deepEqual(payload.events, [{ name: 'channel_occupied', channel: 'hooked-by-webhook' }]);
    const forged = got.body.replace('hooked-by-webhook', 'hooked-by-forger');
    await assert.rejects(verifyWebhook(forged, got.signature, { secret: WEBHOOK_SECRET }), {
      reason: 'bad_signature',
    });
    await assert.rejects(verifyWebhook(got.body, got.signature, { secret: 'another-secret' }), {
      reason: 'bad_signature',
    });
    const later = Math.floor(Date.now() / 1000) + 301;
    await assert.rejects(
      verifyWebhook(got.body, got.signature, { secret: WEBHOOK_SECRET, nowSeconds: later }),
      (e: WebhookVerificationError) => e.reason === 'stale',
    );
    await assert.rejects(verifyWebhook(got.body, 'v1=abc', { secret: WEBHOOK_SECRET }), {
      reason: 'malformed_header',
    });
    await c.close();
  });
});
