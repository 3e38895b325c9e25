import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { type Frame, WsTestClient } from '../helpers/ws-client.ts';

/**
 * The bad-input battery: every kind of garbage gets its own clear, coded answer, while canary subscribers on
 * another channel (one per transport) receive every publication made meanwhile, in order, none lost.
 */
describe('bad input', () => {
  let hub: TestHub;
  let wsCanary: WsTestClient;
  let sseCanary: SseTestClient;
  let published = 0;
  let publishing: Promise<void>;
  let stop = false;

  before(async () => {
    hub = await startTestHub({
      channel: { clientPublish: true },
      limits: { maxFrameBytes: 8 * 1024, maxMessageBytes: 1024 },
    });
    wsCanary = await WsTestClient.connect(hub.wsUrl);
    await wsCanary.request({ type: 'subscribe', channel: 'canary' });
    sseCanary = await SseTestClient.open(`${hub.url}/sse?channel=canary`);
    await sseCanary.waitFor((e) => e.event === 'subscribed');
    publishing = (async () => {
      while (!stop) {
        published++;
        await hub.publish('canary', { n: published });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  });

  after(async () => {
    try {
      // Let the canary run for a while whatever the machine's speed, then check it lost nothing.
      while (published < 50) await new Promise((r) => setTimeout(r, 5));
      stop = true;
      await publishing;
      const expected = Array.from({ length: published }, (_, i) => i + 1);
      const ws = await wsCanary.waitMessages(published);
      const sse = await sseCanary.waitMessages(published);
      assert.deepEqual(
        ws.map((m) => m.offset),
        expected,
        'the WebSocket canary lost or repeated something',
      );
      assert.deepEqual(
        sse.map((m) => m.offset),
        expected,
        'the SSE canary lost or repeated something',
      );
    } finally {
      stop = true;
      await wsCanary.close();
      await sseCanary.close();
      await hub.shutdown();
    }
  });

  it('answers malformed commands with coded errors and keeps the connection', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const cases: Array<[string, string, unknown?]> = [
      ['{not json', 'invalid_json'],
      ['[1,2,3]', 'bad_request'],
      ['42', 'bad_request'],
      ['{"id":1}', 'bad_request', 1],
      ['{"type":"teleport","id":"t1"}', 'unknown_command', 't1'],
      ['{"type":"subscribe","id":2}', 'invalid_channel', 2],
      ['{"type":"subscribe","id":3,"channel":"has space"}', 'invalid_channel', 3],
      ['{"type":"subscribe","id":4,"channel":"ünïcode"}', 'invalid_channel', 4],
      [`{"type":"subscribe","id":5,"channel":"${'x'.repeat(256)}"}`, 'invalid_channel', 5],
      ['{"type":"subscribe","id":6,"channel":["a"]}', 'invalid_channel', 6],
      ['{"type":"subscribe","id":7,"channel":"ok","since":{"epoch":"e","offset":-1}}', 'bad_position', 7],
      ['{"type":"subscribe","id":8,"channel":"ok","since":"1.abc"}', 'bad_position', 8],
      ['{"type":"history","id":9,"channel":"ok","limit":"ten"}', 'bad_request', 9],
      ['{"type":"publish","id":10,"channel":"ok"}', 'bad_request', 10],
      [`{"type":"publish","id":11,"channel":"ok","data":"${'x'.repeat(2000)}"}`, 'payload_too_large', 11],
      [`{"type":"ping","id":"${'i'.repeat(65)}"}`, 'bad_request'],
      ['{"type":"unsubscribe","id":12,"channel":"never"}', 'not_subscribed', 12],
    ];
    for (const [text, code, id] of cases) {
      const from = c.frames.length;
      c.send(text);
      const err = await c.next((f) => f.type === 'error', 2_000, from);
      assert.equal(err.code, code, text.slice(0, 80));
      assert.equal(err.id, id, text.slice(0, 80));
      assert.equal(typeof err.message, 'string');
    }
    const from = c.frames.length;
    c.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
    const bin = await c.next((f) => f.type === 'error', 2_000, from);
    assert.equal(bin.code, 'bad_request');
    const pong = await c.request({ type: 'ping' });
    assert.equal(pong.type, 'pong');
    await c.close();
  });

  it('refuses a duplicate subscribe and a flood of subscribes past the channel limit, and stays usable', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'dup' });
    const dup = await c.request({ type: 'subscribe', channel: 'dup' });
    assert.equal(dup.code, 'already_subscribed');
    for (let i = 0; i < 1000; i++) c.send({ type: 'subscribe', id: `f${i}`, channel: `flood:${i}` });
    const isFlood = (f: Frame) => typeof f.id === 'string' && f.id.startsWith('f');
    // Refusals are immediate, successful subscribes answer after an engine call: wait for all 1000 answers.
    const deadline = Date.now() + 10_000;
    while (c.frames.filter(isFlood).length < 1000 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const replies = c.frames.filter(isFlood);
    const ok = replies.filter((f) => f.type === 'subscribed').length;
    const refused = replies.filter((f) => f.type === 'error' && f.code === 'too_many_channels').length;
    assert.equal(ok, 127); // 128 per connection, one taken by `dup`
    assert.equal(refused, 1000 - 127);
    const pong = await c.request({ type: 'ping' });
    assert.equal(pong.type, 'pong');
    await c.close();
  });

  it('closes a connection that sends an oversize frame with 1009, and one with invalid UTF-8 with 1007', async () => {
    const big = await WsTestClient.connect(hub.wsUrl);
    big.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(10_000) }));
    await big.closed();
    assert.equal(big.closeCode, 1009);

    const bad = await WsTestClient.connect(hub.wsUrl);
    bad.ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
    await bad.closed();
    assert.equal(bad.closeCode, 1007);
  });

  it('answers garbage instead of HTTP with 400 and an upgrade to an unknown path with 404', async () => {
    const port = hub.port;
    const answer = (payload: string) =>
      new Promise<string>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => s.write(payload));
        let text = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          text += d;
        });
        s.on('close', () => resolve(text));
        s.on('error', reject);
      });
    assert.match(await answer('HELLO THERE\r\n\r\n'), /^HTTP\/1\.1 400/);
    const upgrade = await answer(
      'GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    assert.match(upgrade, /^HTTP\/1\.1 404/);
    assert.match(upgrade, /"code":"not_found"/);
  });

  it('answers forged and garbage Last-Event-ID / since without harming the stream', async () => {
    for (const id of ['', 'garbage', '1.x.y', `1.${'9'.repeat(5000)}`, '1.abc.e-1\u0000', '2.0.a-1']) {
      const c = await SseTestClient.open(`${hub.url}/sse?channel=lei`, {
        'last-event-id': encodeURIComponent(id),
      });
      assert.equal(c.response.statusCode, 200);
      await c.waitFor((e) => e.event === 'subscribed');
      if (id !== '') assert.equal(c.frames('error')[0]?.code, 'bad_cursor', id.slice(0, 20));
      await c.close();
    }
    const r = await fetch(`${hub.url}/sse?channel=lei&since=%00%0d%0a`);
    assert.equal(r.status, 400);
  });
});
