// Proxy hooks against a real app backend (an HTTP server on port 0): connect, subscribe, publish, refresh and
// rpc, each allowed, denied and (where it applies) modified, over WebSocket and over SSE (its stream and
// POST /sse/command); a slow backend times out with a coded error, a dead one fails fast once its breaker opens,
// and both show in the metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { Client, type SwitchboardClientError } from '../../packages/client/src/index.ts';
import { deadUrl, TestBackend } from '../helpers/backend.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';
import { schemaPointer, validatorAt } from '../helpers/openapi.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

describe('proxy hooks', () => {
  let backend: TestBackend;
  let hub: TestHub;

  before(async () => {
    backend = await TestBackend.start();
    hub = await startTestHub({
      proxy: {
        timeoutMs: 400,
        headers: ['cookie', 'x-tenant'],
        breakerFailures: 3,
        breakerCooldownMs: 60_000,
      },
      channel: { presence: true },
      namespaces: {
        hooked: {
          clientPublish: true,
          proxy: {
            subscribe: `${backend.url}/subscribe`,
            publish: `${backend.url}/publish`,
            rpc: `${backend.url}/rpc`,
          },
        },
        slow: { proxy: { subscribe: `${backend.url}/slow`, rpc: `${backend.url}/slow` } },
      },
    });
    backend.on('/slow', () => 'hang');
    backend.on('/subscribe', (c) =>
      c.body.channel === 'hooked:secret'
        ? { body: { error: { message: 'not on this channel' } } }
        : { body: { result: { info: { seat: c.body.channel.length } } } },
    );
    backend.on('/publish', (c) => {
      if (c.body.data?.bad === true) return { body: { error: { message: 'no bad words' } } };
      if (c.body.data?.shout !== undefined)
        return { body: { result: { data: { shout: String(c.body.data.shout).toUpperCase() } } } };
      return { body: { result: {} } };
    });
    backend.on('/rpc', (c) =>
      c.body.method === 'hooked:deny'
        ? { body: { error: { message: 'nope' } } }
        : { body: { result: { data: { echo: c.body.data, user: c.body.user, via: c.body.transport } } } },
    );
  });
  after(async () => {
    await hub?.shutdown();
    await backend?.close();
  });

  it('subscribe: the backend allows (its info shows in presence), denies with a coded error and the connection stays', async () => {
    const c = await WsTestClient.connect(hub.wsUrl, { headers: { cookie: 'sid=7', 'x-other': 'no' } });
    const ok = await c.request({ type: 'subscribe', channel: 'hooked:room' });
    assert.equal(ok.type, 'subscribed');
    const call = backend.callsTo('/subscribe').at(-1)!;
    assert.deepEqual(
      { ...call.body, client: '' },
      { hook: 'subscribe', client: '', transport: 'websocket', user: null, channel: 'hooked:room' },
    );
    assert.equal(call.headers.cookie, 'sid=7', 'an allow-listed header is forwarded');
    assert.equal(call.headers['x-other'], undefined, 'others are not');
    const presence = await c.request({ type: 'presence', channel: 'hooked:room' });
    assert.deepEqual(presence.clients[0].info, { seat: 'hooked:room'.length });

    const denied = await c.request({ type: 'subscribe', channel: 'hooked:secret' });
    assert.equal(denied.type, 'error');
    assert.equal(denied.code, 'forbidden');
    assert.equal(denied.message, 'not on this channel');
    assert.equal((await c.request({ type: 'ping' })).type, 'pong', 'a denial keeps the connection');
    const plain = await c.request({ type: 'subscribe', channel: 'plain' });
    assert.equal(plain.type, 'subscribed', 'a namespace without the hook is the hub’s to decide');
    await c.close();
  });

  it('publish: allowed as sent, denied, or replaced by the backend before it is stored', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'hooked:chat' });
    assert.equal(
      (await c.request({ type: 'publish', channel: 'hooked:chat', data: { t: 1 } })).type,
      'published',
    );
    const denied = await c.request({ type: 'publish', channel: 'hooked:chat', data: { bad: true } });
    assert.equal(denied.code, 'forbidden');
    assert.equal(denied.message, 'no bad words');
    assert.equal(
      (await c.request({ type: 'publish', channel: 'hooked:chat', data: { shout: 'hi' } })).type,
      'published',
    );
    const messages = await c.waitMessages(2, 'hooked:chat');
    assert.deepEqual(
      messages.map((m) => m.data),
      [{ t: 1 }, { shout: 'HI' }],
    );
    const history = await hub.api('history', { channel: 'hooked:chat' });
    assert.deepEqual(
      history.body.publications.at(-1).data,
      { shout: 'HI' },
      'the replacement is what is stored',
    );
    await c.close();
  });

  it('rpc over WebSocket: answered by the backend, denied, and not_found where no hook is configured', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const answer = await c.request({ type: 'rpc', method: 'hooked:sum', data: [1, 2] });
    assert.deepEqual(answer, {
      type: 'rpc',
      id: answer.id,
      method: 'hooked:sum',
      data: { echo: [1, 2], user: null, via: 'websocket' },
    });
    const denied = await c.request({ type: 'rpc', method: 'hooked:deny', data: null });
    assert.equal(denied.code, 'forbidden');
    const none = await c.request({ type: 'rpc', method: 'other:x', data: null });
    assert.equal(none.code, 'not_found');
    const bad = await c.request({ type: 'rpc', method: 'bad method', data: null });
    assert.equal(bad.code, 'bad_request');
    await c.close();
  });

  it('the client SDK’s rpc() over WebSocket and over SSE', async () => {
    for (const transport of ['websocket', 'sse'] as const) {
      const client = new Client(hub.url, { transport });
      try {
        // An SSE stream opens with its channels: one is enough to make calls.
        await client.subscribe('plain').ready();
        const answer = await client.rpc<{ via: string; echo: unknown }>('hooked:sum', { n: 1 });
        assert.deepEqual(answer, { echo: { n: 1 }, user: null, via: transport });
        await assert.rejects(client.rpc('hooked:deny'), (e: SwitchboardClientError) => {
          assert.equal(e.code, 'forbidden');
          assert.equal(e.message, 'nope');
          return true;
        });
      } finally {
        client.disconnect();
      }
    }
  });

  it('over SSE: subscribe hooks decide before the stream starts; rpc and publish go through POST /sse/command', async () => {
    const refused = await SseTestClient.open(`${hub.url}/sse?channel=hooked:secret`);
    assert.equal(refused.response.statusCode, 403);
    await refused.close();

    const stream = await SseTestClient.open(`${hub.url}/sse?channel=hooked:feed`, { 'x-tenant': 'acme' });
    const connected = await stream.waitFor((e) => e.event === 'connected');
    await stream.waitFor((e) => e.event === 'subscribed');
    const call = backend.callsTo('/subscribe').at(-1)!;
    assert.equal(call.body.transport, 'sse');
    assert.equal(call.body.client, connected.frame.client, 'the hook was asked with the stream’s client id');
    assert.equal(call.headers['x-tenant'], 'acme');
    const post = async (body: unknown) => {
      const res = await fetch(`${hub.url}/sse/command`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-switchboard-session': connected.frame.session },
        body: JSON.stringify(body),
      });
      return { status: res.status, frame: (await res.json()) as Record<string, any> };
    };
    const rpc = await post({ type: 'rpc', id: 1, method: 'hooked:x', data: 5 });
    assert.equal(rpc.status, 200);
    assert.deepEqual(rpc.frame.data, { echo: 5, user: null, via: 'sse' });
    const denied = await post({ type: 'rpc', id: 2, method: 'hooked:deny', data: 5 });
    assert.equal(denied.status, 403);
    assert.equal(denied.frame.code, 'forbidden');
    const shout = await post({ type: 'publish', id: 3, channel: 'hooked:feed', data: { shout: 'sse' } });
    assert.equal(shout.status, 200);
    const message = await stream.waitFor((e) => e.frame.type === 'message');
    assert.deepEqual(message.frame.data, { shout: 'SSE' });
    await stream.close();
  });

  it('every hook request the backend got matches its schema in the OpenAPI document', () => {
    const names: Record<string, string> = {
      subscribe: 'SubscribeHookRequest',
      publish: 'PublishHookRequest',
      rpc: 'RpcHookRequest',
    };
    assert.ok(backend.calls.length >= 10);
    for (const call of backend.calls) {
      const v = validatorAt(schemaPointer(names[call.body.hook]!));
      assert.equal(v(call.body), true, `${JSON.stringify(call.body)}: ${JSON.stringify(v.errors)}`);
    }
  });

  it('a slow backend: a timeout is a clear, retryable error on WebSocket and SSE alike', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const started = Date.now();
    const timedOut = await c.request({ type: 'subscribe', channel: 'slow:a' });
    assert.equal(timedOut.code, 'backend_timeout');
    assert.ok(Date.now() - started < 3_000, 'answered at about proxy.timeout');
    assert.equal((await c.request({ type: 'ping' })).type, 'pong');
    await c.close();
    const stream = await SseTestClient.open(`${hub.url}/sse?channel=slow:b`);
    assert.equal(stream.response.statusCode, 504);
    await stream.close();
    assert.ok(
      (await metric(hub.url, 'switchboard_proxy_calls_total', { hook: 'subscribe', outcome: 'timeout' })) >=
        2,
    );
  });
});

describe('proxy hooks: a backend that is down', () => {
  let hub: TestHub;
  before(async () => {
    const dead = await deadUrl();
    hub = await startTestHub({
      proxy: { timeoutMs: 2_000, breakerFailures: 3, breakerCooldownMs: 60_000 },
      channel: { proxy: { rpc: dead } },
      namespaces: { gone: { proxy: { subscribe: dead } } },
    });
  });
  after(() => hub?.shutdown());

  it('over SSE too: a stream whose subscribe hook is down is refused 503; an rpc by POST /sse/command gets 503', async () => {
    const refused = await SseTestClient.open(`${hub.url}/sse?channel=gone:x`);
    assert.equal(refused.response.statusCode, 503);
    await refused.close();
    assert.equal(
      await metric(hub.url, 'switchboard_proxy_calls_total', { hook: 'subscribe', outcome: 'failed' }),
      1,
    );
    const stream = await SseTestClient.open(`${hub.url}/sse?channel=plain`);
    const connected = await stream.waitFor((e) => e.event === 'connected');
    const res = await fetch(`${hub.url}/sse/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchboard-session': connected.frame.session },
      body: JSON.stringify({ type: 'rpc', id: 1, method: 'm', data: null }),
    });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { code: string }).code, 'backend_unavailable');
    await stream.close();
  });

  it('fails fast with backend_unavailable, opens the breaker after 3 failures, and shows in the metrics', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    // One rpc failed over SSE already: two more open the breaker (3 failures in a row).
    for (let i = 0; i < 2; i++) {
      const r = await c.request({ type: 'rpc', method: 'm', data: i });
      assert.equal(r.code, 'backend_unavailable');
    }
    assert.equal(await metric(hub.url, 'switchboard_proxy_breaker_open', { hook: 'rpc' }), 1);
    const started = performance.now();
    const fast = await c.request({ type: 'rpc', method: 'm', data: 'x' });
    assert.equal(fast.code, 'backend_unavailable');
    assert.ok(performance.now() - started < 1_000, 'an open breaker answers without asking the backend');
    assert.equal(
      await metric(hub.url, 'switchboard_proxy_calls_total', { hook: 'rpc', outcome: 'failed' }),
      3,
    );
    assert.equal(
      await metric(hub.url, 'switchboard_proxy_calls_total', { hook: 'rpc', outcome: 'breaker_open' }),
      1,
    );
    await c.close();
  });
});

describe('proxy hooks: connect and refresh', () => {
  let backend: TestBackend;
  let hub: TestHub;
  let refreshes: 'extend' | 'deny' = 'extend';
  let connects: 'allow' | 'deny' | 'hang' | 'late' = 'allow';
  /** `late`: the answer (allow) waits for this, so the client can be gone before it comes. */
  let lateAnswer: Promise<void> = Promise.resolve();

  before(async () => {
    backend = await TestBackend.start();
    backend.on('/connect', async (c) => {
      if (connects === 'hang') return 'hang';
      if (connects === 'late') await lateAnswer;
      if (connects === 'deny') return { body: { error: { message: 'banned' } } };
      const user = c.headers.cookie === 'sid=alice' ? 'alice' : 'guest';
      return {
        body: { result: { user, info: { name: user }, expiresAt: Date.now() + 1_500, subscribe: ['room'] } },
      };
    });
    backend.on('/refresh', () =>
      refreshes === 'deny'
        ? { body: { error: { message: 'session over' } } }
        : { body: { result: { expiresAt: Date.now() + 1_500 } } },
    );
    hub = await startTestHub({
      auth: { secret: 'x'.repeat(32) },
      channel: { anonymous: false },
      proxy: {
        connect: `${backend.url}/connect`,
        refresh: `${backend.url}/refresh`,
        timeoutMs: 400,
        headers: ['cookie'],
      },
    });
  });
  after(async () => {
    await hub?.shutdown();
    await backend?.close();
  });

  it('connect: the backend decides who a WebSocket is, and what it may do', async () => {
    connects = 'allow';
    const c = await WsTestClient.connect(hub.wsUrl, { headers: { cookie: 'sid=alice' } });
    assert.equal(c.frames[0]!.user, 'alice');
    assert.equal((await c.request({ type: 'subscribe', channel: 'room' })).type, 'subscribed');
    assert.equal((await c.request({ type: 'subscribe', channel: 'elsewhere' })).code, 'forbidden');
    await c.close();
  });

  it('connect: a denial ends the connection with 4502, a timeout with 4007 (reconnect), each said first', async () => {
    connects = 'deny';
    const denied = await openRaw(hub.wsUrl);
    assert.equal(denied.code, 4502);
    assert.deepEqual(denied.first, { type: 'error', code: 'forbidden', message: 'banned' });
    connects = 'hang';
    const slow = await openRaw(hub.wsUrl);
    assert.equal(slow.code, 4007);
    assert.equal(slow.first.code, 'backend_timeout');
    connects = 'allow';
  });

  it('connect: a connection refused, timed out, or gone before the answer leaves the hub-wide outgoing budget', async () => {
    const budget = hub.node.outgoing;
    assert.ok(budget.enabled, 'the default config has a hub-wide outgoing budget');
    const before = budget.members;
    connects = 'deny';
    for (let i = 0; i < 3; i++) assert.equal((await openRaw(hub.wsUrl)).code, 4502);
    connects = 'hang';
    assert.equal((await openRaw(hub.wsUrl)).code, 4007);
    // Gone while the hook is asked: the client closes, then the backend allows it.
    connects = 'late';
    let answer!: () => void;
    lateAnswer = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const asked = backend.calls.length;
    const { default: WebSocket } = await import('ws');
    const gone = new WebSocket(hub.wsUrl);
    await new Promise<void>((resolve) => gone.on('open', () => resolve()));
    await until(
      () => backend.calls.length > asked,
      () => 'the connect hook was asked',
    );
    // Cut, not closed: a paused connection would read a close frame only once the hook answered.
    gone.terminate();
    await new Promise<void>((resolve) => gone.on('close', () => resolve()));
    assert.equal(budget.members, before + 1, 'counted while the hook is asked');
    answer();
    await until(
      () => budget.members === before,
      () => `budget members ${budget.members}, before ${before}`,
    );
    connects = 'allow';
    // A connection the hook allows is counted while it lives, and leaves with it.
    const c = await WsTestClient.connect(hub.wsUrl, { headers: { cookie: 'sid=alice' } });
    assert.equal(budget.members, before + 1);
    await c.close();
    await until(
      () => budget.members === before,
      () => `budget members ${budget.members} after a close`,
    );
  });

  it('connect over SSE: refused with the code’s status before the stream; allowed with the backend’s user', async () => {
    connects = 'deny';
    const refused = await SseTestClient.open(`${hub.url}/sse?channel=room`);
    assert.equal(refused.response.statusCode, 403);
    await refused.close();
    connects = 'allow';
    const stream = await SseTestClient.open(`${hub.url}/sse?channel=room`, { cookie: 'sid=alice' });
    const connected = await stream.waitFor((e) => e.event === 'connected');
    assert.equal(connected.frame.user, 'alice');
    await stream.waitFor((e) => e.event === 'subscribed');
    await stream.close();
  });

  it('connect and refresh requests match their schemas in the OpenAPI document', () => {
    for (const call of backend.calls) {
      const v = validatorAt(
        schemaPointer(call.body.hook === 'connect' ? 'ConnectHookRequest' : 'RefreshHookRequest'),
      );
      assert.equal(v(call.body), true, JSON.stringify(v.errors));
    }
  });

  it('refresh: the backend extends a connection past its expiry, and a refusal ends it with 4006', async () => {
    connects = 'allow';
    refreshes = 'extend';
    const c = await WsTestClient.connect(hub.wsUrl, { headers: { cookie: 'sid=alice' } });
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal((await c.request({ type: 'ping' })).type, 'pong', 'alive past the first expiry');
    assert.ok(backend.callsTo('/refresh').length >= 1);
    assert.equal(backend.callsTo('/refresh').at(-1)!.body.user, 'alice');
    refreshes = 'deny';
    await c.closed();
    assert.equal(c.closeCode, 4006);
  });
});

describe('proxy hooks: bounded concurrency', () => {
  let backend: TestBackend;
  let hub: TestHub;
  before(async () => {
    backend = await TestBackend.start();
    backend.on('/rpc', () => 'hang');
    hub = await startTestHub({
      proxy: { timeoutMs: 1_000, maxConcurrency: 1 },
      channel: { proxy: { rpc: `${backend.url}/rpc` } },
    });
  });
  after(async () => {
    await hub?.shutdown();
    await backend?.close();
  });

  it('one call more than proxy.maxConcurrency is refused at once, not queued', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const first = c.request({ type: 'rpc', method: 'a', data: 1 });
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    const second = await c.request({ type: 'rpc', method: 'a', data: 2 });
    assert.equal(second.code, 'backend_unavailable');
    assert.ok(performance.now() - started < 500);
    assert.equal((await first).code, 'backend_timeout');
    assert.equal(
      await metric(hub.url, 'switchboard_proxy_calls_total', { hook: 'rpc', outcome: 'overloaded' }),
      1,
    );
    await c.close();
  });
});

/** Opens a WebSocket and waits for it to close: the close code and the first frame it got. */
async function openRaw(url: string): Promise<{ code: number; first: Record<string, any> }> {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(url);
  const frames: Record<string, any>[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, any>));
  const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
  return { code, first: frames[0]! };
}
