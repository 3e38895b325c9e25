import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeCursor, encodeCursor, normalizeChannels } from '@switchboard/protocol';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

async function subscribedAll(c: SseTestClient, n: number): Promise<Record<string, any>[]> {
  const deadline = Date.now() + 5_000;
  while (c.frames('subscribed').length < n) {
    if (Date.now() > deadline) throw new Error('subscribed events did not arrive');
    await new Promise((r) => setTimeout(r, 5));
  }
  return c.frames('subscribed');
}

describe('SSE transport', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ heartbeat: { intervalMs: 200, timeoutMs: 100 } });
  });
  after(() => hub.shutdown());

  it('answers with event-stream headers that get through proxies, a retry hint and typed events', async () => {
    const c = await SseTestClient.open(`${hub.url}/sse?channel=sse:h`);
    const h = c.response.headers;
    assert.equal(c.response.statusCode, 200);
    assert.equal(h['content-type'], 'text/event-stream; charset=utf-8');
    assert.match(String(h['cache-control']), /no-cache/);
    assert.equal(h['x-accel-buffering'], 'no');
    assert.equal(h['content-encoding'], undefined);
    assert.equal(h['transfer-encoding'], undefined);
    await subscribedAll(c, 1);
    assert.ok(c.raw.startsWith('retry: 2000\n\n'));
    assert.equal(c.events[0]!.event, 'connected');
    assert.equal(c.events[0]!.frame.transport, 'sse');
    assert.equal(c.events[1]!.event, 'subscribed');
    const p = await hub.publish('sse:h', { hello: 'world' });
    const [m] = await c.waitMessages(1);
    assert.deepEqual(m, {
      type: 'message',
      channel: 'sse:h',
      epoch: p.epoch,
      offset: 1,
      data: { hello: 'world' },
    });
    const ev = c.events.at(-1)!;
    assert.equal(ev.event, 'message'); // no `event:` line, so EventSource.onmessage fires
    assert.ok(c.raw.includes(`id: ${ev.id}\ndata: {"type":"message"`));
    assert.ok(!c.raw.includes('event: message'));
    await c.close();
  });

  it('sends heartbeat comments', async () => {
    const c = await SseTestClient.open(`${hub.url}/sse?channel=sse:hb`);
    const deadline = Date.now() + 3_000;
    while (!c.comments.includes('ping') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(c.comments.includes('ping'));
    await c.close();
  });

  it('carries one cursor over every channel of the stream in each id', async () => {
    const c = await SseTestClient.open(`${hub.url}/sse?channel=sse:y&channel=sse:x`);
    await subscribedAll(c, 2);
    const px = await hub.publish('sse:x', 'x1');
    const py = await hub.publish('sse:y', 'y1');
    await c.waitMessages(2);
    const channels = normalizeChannels(['sse:y', 'sse:x']);
    const decoded = decodeCursor(c.lastEventId, channels);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.positions, [
      { epoch: px.epoch, offset: 1 },
      { epoch: py.epoch, offset: 1 },
    ]);
    await c.close();
  });

  it('resumes every channel from Last-Event-ID: exactly the missed publications, in order, none twice', async () => {
    const url = `${hub.url}/sse?channel=sse:r1&channel=sse:r2`;
    const c1 = await SseTestClient.open(url);
    await subscribedAll(c1, 2);
    await hub.publish('sse:r1', 'a1');
    await hub.publish('sse:r2', 'b1');
    await c1.waitMessages(2);
    const cursor = c1.lastEventId;
    await c1.close();
    await hub.publish('sse:r1', 'a2');
    await hub.publish('sse:r2', 'b2');
    await hub.publish('sse:r1', 'a3');

    const c2 = await SseTestClient.open(url, { 'last-event-id': cursor });
    const subs = await subscribedAll(c2, 2);
    assert.deepEqual(
      subs.map((s) => s.recovered),
      [true, true],
    );
    await hub.publish('sse:r2', 'b3');
    await c2.waitMessages(4);
    assert.deepEqual(
      c2.messages('sse:r1').map((m) => m.data),
      ['a2', 'a3'],
    );
    assert.deepEqual(
      c2.messages('sse:r2').map((m) => m.data),
      ['b2', 'b3'],
    );
    await c2.close();
  });

  it('resumes from a since query parameter, and refuses a malformed one with 400 bad_cursor', async () => {
    const p1 = await hub.publish('sse:s', 1);
    await hub.publish('sse:s', 2);
    const since = encodeCursor(['sse:s'], [{ epoch: p1.epoch, offset: 1 }]);
    const c = await SseTestClient.open(`${hub.url}/sse?channel=sse:s&since=${encodeURIComponent(since)}`);
    const [m] = await c.waitMessages(1);
    assert.equal(m!.data, 2);
    await c.close();

    for (const bad of ['garbage', '1.zzz.abc-1', encodeCursor(['other'], [{ epoch: 'e', offset: 1 }])]) {
      const r = await fetch(`${hub.url}/sse?channel=sse:s&since=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'bad_cursor');
    }
  });

  it('keeps a stream with a garbage Last-Event-ID alive: an error event, recovered: false, then live', async () => {
    const c = await SseTestClient.open(`${hub.url}/sse?channel=sse:g`, { 'last-event-id': '1.forged.!!-x' });
    assert.equal(c.response.statusCode, 200);
    const err = await c.waitFor((e) => e.event === 'error');
    assert.equal(err.frame.code, 'bad_cursor');
    const [sub] = await subscribedAll(c, 1);
    assert.equal(sub!.recovered, false);
    await hub.publish('sse:g', 'live');
    const [m] = await c.waitMessages(1);
    assert.equal(m!.data, 'live');
    await c.close();
  });

  it('refuses bad requests before the stream starts', async () => {
    const cases: Array<[string, number, string]> = [
      ['/sse', 400, 'bad_request'],
      ['/sse?channel=', 400, 'invalid_channel'],
      ['/sse?channel=bad%20name', 400, 'invalid_channel'],
      [`/sse?channel=${'x'.repeat(300)}`, 400, 'invalid_channel'],
      [`/sse?${Array.from({ length: 200 }, (_, i) => `channel=c${i}`).join('&')}`, 400, 'too_many_channels'],
    ];
    for (const [path, status, code] of cases) {
      const r = await fetch(hub.url + path);
      assert.equal(r.status, status, path);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, code, path);
    }
    const post = await fetch(`${hub.url}/sse?channel=a`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('delivers the same publication with the same position to WebSocket and SSE subscribers', async () => {
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=sse:both`);
    await subscribedAll(sse, 1);
    const ws = await WsTestClient.connect(hub.wsUrl);
    await ws.request({ type: 'subscribe', channel: 'sse:both' });
    for (let i = 0; i < 3; i++) await hub.publish('sse:both', { i });
    const fromSse = await sse.waitMessages(3);
    const fromWs = await ws.waitMessages(3);
    assert.deepEqual(fromSse, fromWs);
    await sse.close();
    await ws.close();
  });

  it('resumes across transports: a position seen over SSE resumes over WebSocket, and back', async () => {
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=sse:x1`);
    await subscribedAll(sse, 1);
    await hub.publish('sse:x1', 1);
    await sse.waitMessages(1);
    const cursor = sse.lastEventId;
    await sse.close();
    await hub.publish('sse:x1', 2);
    const decoded = decodeCursor(cursor, ['sse:x1']);
    assert.ok(decoded.ok);
    const ws = await WsTestClient.connect(hub.wsUrl);
    const sub = await ws.request({ type: 'subscribe', channel: 'sse:x1', since: decoded.positions[0] });
    assert.equal(sub.recovered, true);
    const [m] = await ws.waitMessages(1);
    assert.equal(m!.data, 2);
    await ws.close();
    await hub.publish('sse:x1', 3);
    const back = encodeCursor(['sse:x1'], [{ epoch: m!.epoch, offset: m!.offset }]);
    const sse2 = await SseTestClient.open(`${hub.url}/sse?channel=sse:x1`, { 'last-event-id': back });
    const [again] = await sse2.waitMessages(1);
    assert.equal(again!.data, 3);
    await sse2.close();
  });
});
