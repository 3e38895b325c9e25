// Finding 3 of the second hardening pass: JSON that is too deep, or numbers a double cannot keep, are refused with
// 400 `bad_request` on every input (API bodies, WebSocket and SSE commands), never answered with a 500, never
// stored; and what is stored stays readable through /api/history and WebSocket `history`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const DEPTH = 64;
const nested = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

describe('JSON depth and numbers', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ channel: { clientPublish: true }, api: { maxBodyBytes: 1024 * 1024 } });
  });
  after(async () => {
    await hub?.shutdown();
  });

  const publishRaw = (raw: string) => hub.api('publish', undefined, { raw });

  it('refuses deep API bodies with 400 bad_request, however deep, and stores nothing', async () => {
    for (const levels of [DEPTH, 4_391, 5_000, 100_000]) {
      const r = await publishRaw(`{"channel":"deep","data":${nested(levels)}}`);
      assert.equal(r.status, 400, `${levels} levels`);
      assert.equal(r.body.error.code, 'bad_request');
      assert.match(r.body.error.message, /deeper than 64/);
    }
    for (const path of ['history', 'presence', 'disconnect', 'tickets', 'broadcast']) {
      const r = await hub.api(path, undefined, { raw: `{"channel":${nested(10_000)}}` });
      assert.equal(r.status, 400, path);
    }
    const history = await hub.api('history', { channel: 'deep' });
    assert.equal(history.status, 200);
    assert.deepEqual(history.body.publications, []);
  });

  it('keeps what it accepts readable: the deepest payload allowed, over /api/history and WebSocket history', async () => {
    // The body is one level (the object) around the payload.
    const data = JSON.parse(nested(DEPTH - 1)) as unknown;
    assert.equal((await publishRaw(`{"channel":"edge","data":${nested(DEPTH - 1)}}`)).status, 200);
    const history = await hub.api('history', { channel: 'edge' });
    assert.equal(history.status, 200);
    assert.deepEqual(history.body.publications[0].data, data);
    const ws = await WsTestClient.connect(hub.wsUrl);
    const reply = await ws.request({ type: 'history', channel: 'edge' });
    assert.equal(reply.type, 'history');
    assert.deepEqual(reply.publications[0].data, data);
    const sub = await ws.request({
      type: 'subscribe',
      channel: 'edge',
      since: { epoch: history.body.epoch, offset: 0 },
    });
    assert.equal(sub.type, 'subscribed');
    await ws.waitMessages(1, 'edge');
    await ws.close();
  });

  it('refuses numbers a double does not keep, and keeps those it does, exactly', async () => {
    for (const n of ['1e400', '-1e400', '1e-400', '9007199254740993', '12345678901234567891']) {
      const r = await publishRaw(`{"channel":"numbers","data":{"n":${n}}}`);
      assert.equal(r.status, 400, n);
      assert.equal(r.body.error.code, 'bad_request');
      assert.match(r.body.error.message, /send it as a string/);
    }
    const kept = ['9007199254740991', '-9007199254740991', '0.1', '1.7976931348623157e308', '5e-324'];
    for (const n of kept)
      assert.equal((await publishRaw(`{"channel":"numbers","data":${n}}`)).status, 200, n);
    const history = await hub.api('history', { channel: 'numbers' });
    assert.deepEqual(
      history.body.publications.map((p: { data: number }) => p.data),
      kept.map(Number),
    );
  });

  it('refuses deep or unfaithful WebSocket commands with bad_request and goes on', async () => {
    const ws = await WsTestClient.connect(hub.wsUrl);
    ws.send(`{"type":"publish","id":"deep","channel":"ws","data":${nested(5_000)}}`);
    const deep = await ws.next((f) => f.type === 'error');
    assert.equal(deep.code, 'bad_request');
    assert.match(deep.message, /deeper/);
    ws.send('{"type":"publish","channel":"ws","data":1e400}');
    const big = await ws.next((f) => f.type === 'error' && f !== deep);
    assert.equal(big.code, 'bad_request');
    assert.equal((await ws.request({ type: 'publish', channel: 'ws', data: { n: 1 } })).type, 'published');
    const history = await hub.api('history', { channel: 'ws' });
    assert.deepEqual(
      history.body.publications.map((p: { data: unknown }) => p.data),
      [{ n: 1 }],
    );
    await ws.close();
  });

  it('refuses a deep POST /sse/command with 400 bad_request', async () => {
    const stream = await SseTestClient.open(`${hub.url}/sse?channel=sse`);
    const connected = await stream.waitFor((e) => e.frame.type === 'connected');
    const res = await fetch(`${hub.url}/sse/command`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-switchboard-session': String(connected.frame.session),
      },
      body: `{"type":"publish","channel":"sse","data":${nested(5_000)}}`,
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { code: string }).code, 'bad_request');
    await stream.close();
  });

  it('answers no hostile body with a 500', async () => {
    const hostile = [
      nested(200_000),
      `{"a":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`,
      '{"channel":"x","data":1e999999}',
      '{"channel":"x","data":-0}',
      '{"channel":"x","data":"\\ud800"}',
      '{"channel":"x","data":{"__proto__":{"polluted":1}}}',
      '{"channel":"x","data":{"constructor":{"prototype":{"polluted":1}}}}',
      `{"channel":"x","data":[${'1,'.repeat(100_000)}1]}`,
      '{"channel":"x","data":"\u0000"}',
      '[]',
      'null',
      '"string"',
      '123',
    ];
    for (const path of ['publish', 'broadcast', 'history', 'presence', 'disconnect', 'tickets']) {
      for (const raw of hostile) {
        const res = await fetch(`${hub.url}/api/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
          body: raw,
        });
        await res.text();
        assert.ok(res.status < 500, `${path} ${raw.slice(0, 40)}: ${res.status}`);
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
