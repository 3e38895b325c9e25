// Tokens on each transport: WebSocket auth, refresh and expiry; SSE by header, cookie and ticket; subscription
// tokens; JWKS from a real key server; API key scopes and rates; per-IP connection rate; no token in the logs.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import { exportJWK } from 'jose';
import { DEFAULTS } from '../../packages/server/src/config/defaults.ts';
import { createLogger } from '../../packages/server/src/observability/logger.ts';
import { startServer } from '../../packages/server/src/server.ts';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { ecPair, sign, TEST_SECRET } from '../helpers/jwt.ts';
import { metric } from '../helpers/metrics.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { tryUpgrade } from '../helpers/upgrade.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

describe('auth over WebSocket and SSE (HMAC key)', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({
      auth: {
        secret: TEST_SECRET,
        leewayMs: 0,
        subscriptionTokenChannels: ['private:*'],
      },
      api: { publishKeys: ['publish-only-key'] },
    });
  });
  after(async () => {
    await hub?.shutdown();
  });

  it('closes a WebSocket whose token expires with 4006, after a disconnect frame', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const authed = await c.request({
      type: 'auth',
      token: await sign({ sub: '7', subscribe: ['t:*'] }, { expiresIn: 2 }),
    });
    assert.equal(authed.type, 'authed');
    assert.ok(authed.expiresAt > Date.now());
    assert.equal((await c.request({ type: 'subscribe', channel: 't:a' })).type, 'subscribed');
    await c.closed();
    assert.equal(c.closeCode, 4006);
    const d = c.frames.find((f) => f.type === 'disconnect');
    assert.deepEqual(d, { type: 'disconnect', code: 4006, reason: 'token_expired', reconnect: true });
  });

  it('refreshes a token without reconnecting, and refuses a refresh for another user', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const [short, long] = await Promise.all([
      sign({ sub: '7', subscribe: ['t:*'] }, { expiresIn: 3 }),
      sign({ sub: '7', subscribe: ['t:*'] }, { expiresIn: 600 }),
    ]);
    const first = await c.request({ type: 'auth', token: short });
    await c.request({ type: 'subscribe', channel: 't:refresh' });
    const second = await c.request({ type: 'auth', token: long });
    assert.equal(second.type, 'authed');
    assert.ok(second.expiresAt > first.expiresAt);
    // Past the first token's expiry the connection is still open and still receives.
    await until(
      () => Date.now() > first.expiresAt + 500,
      () => 'clock',
    );
    await hub.publish('t:refresh', 'after');
    await c.waitMessages(1, 't:refresh');
    assert.equal(c.closeCode, undefined);
    // A refresh that narrows the permissions leaves the channels no longer permitted.
    await c.request({ type: 'auth', token: await sign({ sub: '7', subscribe: ['u:*'] }) });
    await c.next((f) => f.type === 'unsubscribed' && f.channel === 't:refresh');
    const other = await c.request({ type: 'auth', token: await sign({ sub: '8' }) });
    assert.equal(other.code, 'unauthorized');
    await c.closed();
    assert.equal(c.closeCode, 4501);
  });

  it('runs commands sent right after auth with the new identity', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    c.send({ type: 'auth', id: 'a', token: await sign({ sub: '9' }) });
    const sub = await c.request({ type: 'subscribe', channel: 'user#9' });
    assert.equal(sub.type, 'subscribed');
    // The backend finds the connection by its (new) user.
    assert.equal((await hub.api('disconnect', { user: '9' })).body.disconnected, 1);
    await c.closed();
    assert.equal(c.closeCode, 4004);
  });

  it('closes a WebSocket that never authenticates when anonymous access is off', async () => {
    const strict = await startTestHub({ auth: { secret: TEST_SECRET, connectTimeoutMs: 300 } });
    try {
      const c = await WsTestClient.connect(strict.wsUrl);
      await c.closed();
      assert.equal(c.closeCode, 4501);
      assert.equal(c.frames.find((f) => f.type === 'error')?.code, 'unauthorized');
    } finally {
      await strict.shutdown();
    }
  });

  it('requires a subscription token where configured, bound to the channel and the user', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'auth', token: await sign({ sub: '5', subscribe: ['*'] }) });
    assert.equal((await c.request({ type: 'subscribe', channel: 'private:r' })).code, 'forbidden');
    const wrongChannel = await sign({ sub: '5', channel: 'private:other' });
    assert.equal(
      (await c.request({ type: 'subscribe', channel: 'private:r', token: wrongChannel })).code,
      'unauthorized',
    );
    const wrongUser = await sign({ sub: '6', channel: 'private:r' });
    assert.equal(
      (await c.request({ type: 'subscribe', channel: 'private:r', token: wrongUser })).code,
      'unauthorized',
    );
    const ok = await sign({ sub: '5', channel: 'private:r' });
    assert.equal(
      (await c.request({ type: 'subscribe', channel: 'private:r', token: ok })).type,
      'subscribed',
    );
    assert.equal(c.closeCode, undefined);
    await c.close();
  });

  it('ends an SSE stream whose token expires with a disconnect event, code 4006', async () => {
    const token = await sign({ sub: '7', subscribe: ['s:*'] }, { expiresIn: 2 });
    const s = await SseTestClient.open(`${hub.url}/sse?channel=s:a`, { authorization: `Bearer ${token}` });
    assert.equal(s.response.statusCode, 200);
    await s.waitFor((e) => e.event === 'subscribed');
    await s.ended();
    const d = s.frames('disconnect')[0];
    assert.equal(d?.code, 4006);
    assert.equal(d?.reason, 'token_expired');
  });

  it('takes SSE credentials from an HttpOnly cookie or a single-use ticket, never a token in the URL', async () => {
    const token = await sign({ sub: '7', subscribe: ['s:*'], info: { name: 'Ada' } });
    const byCookie = await SseTestClient.open(`${hub.url}/sse?channel=s:cookie`, {
      cookie: `x=1; switchboard_token=${token}`,
    });
    assert.equal(byCookie.response.statusCode, 200);
    await byCookie.waitFor((e) => e.event === 'subscribed');
    const clients = await untilAsync(
      async () => {
        const c = (await hub.api('presence', { channel: 's:cookie' })).body.clients;
        return c.length > 0 && c;
      },
      () => 'no presence entry',
    );
    assert.equal(clients[0]?.user, '7');
    assert.deepEqual(clients[0]?.info, { name: 'Ada' });
    await byCookie.close();

    assert.equal((await fetch(`${hub.url}/sse?channel=s:a&token=${token}`)).status, 400);

    const issued = await hub.api('tickets', { user: '7', claims: { subscribe: ['s:*'] } });
    assert.equal(issued.status, 200);
    assert.ok(issued.body.expiresAt > Date.now());
    const url = `${hub.url}/sse?channel=s:ticket&ticket=${issued.body.ticket}`;
    const byTicket = await SseTestClient.open(url);
    assert.equal(byTicket.response.statusCode, 200);
    await byTicket.waitFor((e) => e.event === 'subscribed');
    assert.equal(byTicket.frames('connected')[0]?.user, '7');
    await byTicket.close();
    assert.equal((await fetch(url)).status, 401, 'a ticket works once');
    assert.equal((await fetch(`${hub.url}/sse?channel=s:a&ticket=made-up`)).status, 401);
    const narrow = await hub.api('tickets', { user: '7', claims: { subscribe: ['s:only'] } });
    assert.equal((await fetch(`${hub.url}/sse?channel=s:other&ticket=${narrow.body.ticket}`)).status, 403);
  });

  it('scopes API keys: a publish key publishes and nothing else', async () => {
    const key = 'publish-only-key';
    assert.equal((await hub.api('publish', { channel: 'k:a', data: 1 }, { key })).status, 200);
    assert.equal((await hub.api('broadcast', { channels: ['k:a'], data: 1 }, { key })).status, 200);
    const refused = await hub.api('tickets', { user: '1' }, { key });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    assert.equal((await hub.api('channels', undefined, { key })).status, 403);
    assert.equal((await hub.api('channels', undefined, { key: TEST_API_KEY })).status, 200);
    assert.equal((await hub.api('channels', undefined, { key: 'wrong' })).status, 401);
  });
});

describe('rates per IP and per API key', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ limits: { connectionRate: 1, apiRate: 1 } });
  });
  after(async () => {
    await hub?.shutdown();
  });

  it('refuses connection attempts past the per-IP rate with 429, before the upgrade or stream', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await tryUpgrade(hub.wsUrl)).status);
    const sse = await fetch(`${hub.url}/sse?channel=a`);
    assert.equal(sse.status, 429);
    assert.ok(statuses.includes(101) && statuses.includes(429), statuses.join());
    assert.ok((await metric(hub.url, 'switchboard_rate_limited_total', { limit: 'connection' })) >= 2);
  });

  it('refuses API requests past the per-key rate with 429 and Retry-After', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await hub.api('publish', { channel: 'r', data: i }));
    const limited = answers.find((a) => a.status === 429);
    assert.ok(limited, answers.map((a) => a.status).join());
    assert.equal(limited.body.error.code, 'too_many_requests');
    assert.equal(limited.headers.get('retry-after'), '1');
  });
});

describe('JWKS from a key server', () => {
  const k1 = ecPair();
  const k2 = ecPair();
  let keys: object[] = [];
  let fetches = 0;
  let keyServer: Server;
  let hub: TestHub;

  before(async () => {
    keys = [{ ...(await exportJWK(k1.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }];
    keyServer = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => keyServer.listen(0, '127.0.0.1', r));
    const { port } = keyServer.address() as AddressInfo;
    hub = await startTestHub({
      auth: { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, jwksCooldownMs: 0, anonymous: true },
    });
  });
  after(async () => {
    await hub?.shutdown();
    keyServer?.close();
  });

  async function auth(token: string) {
    const c = await WsTestClient.connect(hub.wsUrl);
    const reply = await c.request({ type: 'auth', token });
    await c.close();
    return reply;
  }

  it('verifies with the fetched key, fetches again for a new kid, refuses an unknown one', async () => {
    assert.equal(
      (await auth(await sign({ sub: '1' }, { alg: 'ES256', key: k1.privateKey, kid: 'k1' }))).type,
      'authed',
    );
    assert.equal(
      (await auth(await sign({ sub: '1' }, { alg: 'ES256', key: k1.privateKey, kid: 'k1' }))).type,
      'authed',
    );
    assert.equal(fetches, 1, 'the key set is cached');
    keys = [...keys, { ...(await exportJWK(k2.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' }];
    assert.equal(
      (await auth(await sign({ sub: '1' }, { alg: 'ES256', key: k2.privateKey, kid: 'k2' }))).type,
      'authed',
    );
    assert.equal(fetches, 2);
    const unknown = await auth(
      await sign({ sub: '1' }, { alg: 'ES256', key: ecPair().privateKey, kid: 'k9' }),
    );
    assert.equal(unknown.code, 'unauthorized');
    // HMAC is never accepted from a JWKS hub, even signed with a key's public text.
    const hmac = await auth(await sign({ sub: '1' }, { alg: 'HS256', kid: 'k1' }));
    assert.equal(hmac.code, 'unauthorized');
  });

  it('lets anonymous connections in where auth.anonymous is on', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    assert.equal((await c.request({ type: 'subscribe', channel: 'open' })).type, 'subscribed');
    assert.equal((await c.request({ type: 'subscribe', channel: 'user#1' })).code, 'unauthorized');
    await c.close();
  });
});

describe('logs', () => {
  it('never contain a token, a ticket or a cookie, even at trace level', async () => {
    let logs = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += String(chunk);
        done();
      },
    });
    const logger = createLogger('trace', sink);
    const config = {
      ...DEFAULTS,
      server: { ...DEFAULTS.server, host: '127.0.0.1', port: 0 },
      api: { ...DEFAULTS.api, keys: [TEST_API_KEY] },
      auth: { ...DEFAULTS.auth, secret: TEST_SECRET },
    };
    const server = await startServer(config, { logger });
    try {
      const good = await sign({ sub: '1', subscribe: ['*'] });
      const expired = await sign({ sub: '1' }, { expiresIn: -600 });
      const ws = await WsTestClient.connect(`${server.url.replace('http', 'ws')}/ws`);
      await ws.request({ type: 'auth', token: good });
      await ws.request({ type: 'auth', token: expired });
      await ws.closed();
      const sse = await SseTestClient.open(`${server.url}/sse?channel=a`, {
        cookie: `switchboard_token=${good}`,
      });
      await sse.close();
      await fetch(`${server.url}/sse?channel=a`, { headers: { authorization: `Bearer ${expired}` } });
      const ticket = await fetch(`${server.url}/api/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        body: '{"user":"1"}',
      });
      const { ticket: t } = (await ticket.json()) as { ticket: string };
      await fetch(`${server.url}/sse?channel=a&ticket=${t}`).then((r) => r.body?.cancel());
      // The redaction paths hold even if some code logged a credential-shaped object.
      logger.info(
        { token: good, req: { headers: { authorization: `Bearer ${good}`, cookie: good } } },
        'probe',
      );
      await until(
        () => logs.includes('"probe"'),
        () => 'log flushed',
      );
      assert.match(logs, /token refused/);
      for (const secret of [good, expired, t, TEST_SECRET, TEST_API_KEY, good.split('.')[2]!])
        assert.ok(!logs.includes(secret), 'a credential reached the log');
    } finally {
      await server.shutdown();
    }
  });
});

describe('a hub with no key (the default)', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub();
  });
  after(async () => {
    await hub?.shutdown();
  });

  it('stays open to anonymous clients, ignores ambient cookies and Basic auth, refuses tokens', async () => {
    const s = await SseTestClient.open(`${hub.url}/sse?channel=open`, {
      cookie: 'switchboard_token=left-by-another-app',
      authorization: 'Basic dXNlcjpwYXNz',
      origin: 'https://anywhere.example',
    });
    assert.equal(s.response.statusCode, 200);
    assert.equal(s.response.headers['access-control-allow-origin'], '*');
    assert.equal(s.response.headers['access-control-allow-credentials'], undefined);
    await s.waitFor((e) => e.event === 'subscribed');
    await s.close();
    const c = await WsTestClient.connect(hub.wsUrl, { origin: 'https://anywhere.example' });
    assert.equal((await c.request({ type: 'subscribe', channel: 'open' })).type, 'subscribed');
    assert.equal((await c.request({ type: 'subscribe', channel: 'user#1' })).code, 'unauthorized');
    assert.equal((await c.request({ type: 'auth', token: await sign({ sub: '1' }) })).code, 'unauthorized');
    await c.closed();
    assert.equal(c.closeCode, 4501);
  });
});
