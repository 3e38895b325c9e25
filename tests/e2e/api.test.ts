import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

describe('HTTP API', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ api: { maxBodyBytes: 4096 }, limits: { maxMessageBytes: 1024 } });
  });
  after(() => hub.shutdown());

  it('refuses requests without a valid API key, the same way whatever is wrong', async () => {
    for (const key of [null, 'wrong', '', 'test-key-012345678']) {
      const r = await hub.api('publish', { channel: 'a', data: 1 }, { key });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { error: { code: 'unauthorized', message: 'a valid API key is required' } });
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    }
  });

  it('publishes and returns the position; a retried idempotent publish is delivered once', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'api:p' });
    const first = await hub.api('publish', { channel: 'api:p', data: { v: 1 }, idempotencyKey: 'order-1' });
    assert.equal(first.status, 200);
    assert.equal(first.body.channel, 'api:p');
    assert.equal(first.body.offset, 1);
    assert.match(first.body.epoch, /^[A-Za-z0-9]+$/);
    const retry = await hub.api('publish', { channel: 'api:p', data: { v: 1 }, idempotencyKey: 'order-1' });
    assert.deepEqual(retry.body, { ...first.body, duplicate: true });
    // Answers written from the prepared head: the usual headers and a request id of its own each.
    assert.equal(first.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.match(
      first.headers.get('x-request-id') ?? '',
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.notEqual(first.headers.get('x-request-id'), retry.headers.get('x-request-id'));
    const given = await hub.api(
      'publish',
      { channel: 'api:rid', data: 1 },
      { headers: { 'x-request-id': 'be-42' } },
    );
    assert.equal(given.headers.get('x-request-id'), 'be-42');
    assert.equal(given.body.offset, 1);
    const refused = await hub.api('publish', { channel: 'bad name', data: 1 });
    assert.match(refused.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    await hub.publish('api:p', { v: 2 });
    await c.waitMessages(2);
    assert.deepEqual(
      c.messages().map((m) => m.data),
      [{ v: 1 }, { v: 2 }],
    );
    await c.close();
  });

  it('broadcasts to many channels, each with its own position', async () => {
    await hub.publish('api:b1', 'before');
    const r = await hub.api('broadcast', {
      channels: ['api:b1', 'api:b2'],
      data: 'hello',
      idempotencyKey: 'bc-1',
    });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.results.map((x: { channel: string; offset: number }) => [x.channel, x.offset]),
      [
        ['api:b1', 2],
        ['api:b2', 1],
      ],
    );
    const bad = await hub.api('broadcast', { channels: ['ok', 'bad name'], data: 1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_channel');
  });

  it('returns history, presence and the active channels', async () => {
    for (let i = 1; i <= 3; i++) await hub.publish('api:h', i);
    const h = await hub.api('history', { channel: 'api:h', limit: 2 });
    assert.equal(h.status, 200);
    assert.deepEqual(
      h.body.publications.map((p: { offset: number; data: number }) => [p.offset, p.data]),
      [
        [2, 2],
        [3, 3],
      ],
    );
    const since = await hub.api('history', { channel: 'api:h', since: { epoch: h.body.epoch, offset: 1 } });
    assert.equal(since.body.recovered, true);
    assert.equal(since.body.publications.length, 2);
    const badSince = await hub.api('history', { channel: 'api:h', since: { epoch: 'x', offset: -1 } });
    assert.equal(badSince.body.error.code, 'bad_position');

    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'api:room' });
    const deadline = Date.now() + 2_000;
    let p = await hub.api('presence', { channel: 'api:room' });
    while (p.body.clients.length === 0 && Date.now() < deadline)
      p = await hub.api('presence', { channel: 'api:room' });
    assert.deepEqual(p.body, { channel: 'api:room', clients: [{ client: c.frames[0]!.client, user: null }] });
    const list = await hub.api('channels');
    assert.ok(
      list.body.channels.some(
        (x: { channel: string; subscribers: number }) => x.channel === 'api:room' && x.subscribers === 1,
      ),
    );
    await c.close();
  });

  it('disconnects a connection, telling it whether to reconnect', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const r = await hub.api('disconnect', { client: c.frames[0]!.client, reconnect: false });
    assert.deepEqual(r.body, { disconnected: 1 });
    await c.closed();
    assert.equal(c.closeCode, 4503);
    const d = c.frames.find((f) => f.type === 'disconnect');
    assert.deepEqual(d, { type: 'disconnect', code: 4503, reason: 'disconnected', reconnect: false });

    const s = await SseTestClient.open(`${hub.url}/sse?channel=api:d`);
    const hello = await s.waitFor((e) => e.event === 'connected');
    const r2 = await hub.api('disconnect', { client: hello.frame.client });
    assert.equal(r2.status, 200);
    await s.ended();
    const disc = s.frames('disconnect')[0]!;
    assert.equal(disc.code, 4004);
    assert.equal(disc.reconnect, true);
    assert.ok(s.retry !== undefined && s.retry >= 2000);

    const none = await hub.api('disconnect', { client: 'nobody' });
    assert.equal(none.status, 404);
    assert.equal(none.body.error.code, 'not_found');
  });

  it('answers bad requests with coded errors and the right status', async () => {
    const cases: Array<
      [string, Parameters<TestHub['api']>[1], Parameters<TestHub['api']>[2], number, string]
    > = [
      ['publish', undefined, { raw: '{not json' }, 400, 'invalid_json'],
      ['publish', undefined, { raw: '', method: 'POST' }, 400, 'bad_request'],
      ['publish', [1, 2], {}, 400, 'bad_request'],
      ['publish', { channel: 'a' }, {}, 400, 'bad_request'],
      ['publish', { channel: 'no spaces', data: 1 }, {}, 400, 'invalid_channel'],
      ['publish', { channel: 42, data: 1 }, {}, 400, 'invalid_channel'],
      ['publish', { channel: 'a', data: 'x'.repeat(2000) }, {}, 413, 'payload_too_large'],
      [
        'publish',
        undefined,
        { raw: JSON.stringify({ channel: 'a', data: 'x'.repeat(5000) }) },
        413,
        'payload_too_large',
      ],
      [
        'publish',
        undefined,
        { raw: 'channel=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
        'unsupported_media_type',
      ],
      ['publish', { channel: 'a', data: 1, idempotencyKey: '' }, {}, 400, 'bad_request'],
      ['publish', undefined, { method: 'GET' }, 405, 'method_not_allowed'],
      ['nope', { channel: 'a' }, {}, 404, 'not_found'],
      ['disconnect', {}, {}, 400, 'bad_request'],
    ];
    for (const [path, body, init, status, code] of cases) {
      const r = await hub.api(path, body, init);
      assert.equal(r.status, status, `${path} ${JSON.stringify(body ?? init)}`);
      assert.equal(r.body.error.code, code, `${path} ${JSON.stringify(body ?? init)}`);
      assert.equal(typeof r.body.error.message, 'string');
    }
    const invalidUtf8 = await fetch(`${hub.url}/api/publish`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-key-0123456789', 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    });
    assert.equal(invalidUtf8.status, 400);
    assert.equal(((await invalidUtf8.json()) as { error: { code: string } }).error.code, 'invalid_json');
  });

  it('serves health, readiness and metrics', async () => {
    const health = await fetch(`${hub.url}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${hub.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', engine: 'memory' });
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    assert.match(metrics, /switchboard_publications_total\{source="api"\} \d+/);
    assert.match(metrics, /switchboard_connections\{transport="websocket"\}/);
    const missing = await fetch(`${hub.url}/nothing-here`);
    assert.equal(missing.status, 404);
  });
});
