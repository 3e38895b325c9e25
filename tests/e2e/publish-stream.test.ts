// POST /api/publish/stream: newline-delimited publishes over one request, each line answered in order on a streamed
// answer; and pipelined POST /api/publish requests on one keep-alive connection, answered in order.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { h2connect } from '../helpers/h2.ts';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { validatorAt } from '../helpers/openapi.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const MAX_BODY = 4096;

/** Streams `lines` (already joined by the caller as it likes) and collects the answer's lines. */
function stream(
  hub: TestHub,
  chunks: readonly string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; lines: any[]; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${hub.url}/api/publish/stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        'content-type': 'application/x-ndjson',
        ...headers,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        text += s;
      });
      res.on('end', () => {
        const lines =
          res.headers['content-type']?.startsWith('application/x-ndjson') === true
            ? text
                .split('\n')
                .filter((l) => l !== '')
                .map((l) => JSON.parse(l))
            : [JSON.parse(text)];
        resolve({ status: res.statusCode ?? 0, headers: res.headers, lines, text });
      });
    });
    req.on('error', reject);
    // Written in several pieces, so lines are split across chunks.
    let i = 0;
    const next = (): void => {
      if (i === chunks.length) return void req.end();
      req.write(chunks[i++], next);
    };
    next();
  });
}

const line = (body: unknown): string => `${JSON.stringify(body)}\n`;
const checkAnswer = validatorAt('/components/schemas/PublishStreamAnswer');

describe('publish stream and pipelined publishes', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ api: { maxBodyBytes: MAX_BODY }, limits: { maxMessageBytes: 1024 } });
  });
  after(() => hub.shutdown());

  it('publishes many lines, answered in order with positions; the subscriber gets all of them in order', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'ps:many' });
    const n = 2000;
    const body = Array.from({ length: n }, (_, i) => line({ channel: 'ps:many', data: { i } })).join('');
    // Cut at arbitrary places, inside lines too.
    const chunks: string[] = [];
    for (let at = 0; at < body.length; at += 997) chunks.push(body.slice(at, at + 997));
    const r = await stream(hub, chunks);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/x-ndjson/);
    assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(r.lines.length, n);
    for (const [i, a] of r.lines.entries()) {
      assert.equal(checkAnswer(a), true, JSON.stringify(a));
      assert.equal(a.channel, 'ps:many');
      assert.equal(a.offset, i + 1);
      assert.equal(a.epoch, r.lines[0].epoch);
    }
    const got = await c.waitMessages(n, 'ps:many');
    assert.deepEqual(
      got.map((m) => (m as unknown as { data: { i: number } }).data.i),
      Array.from({ length: n }, (_, i) => i),
    );
    await c.close();
  });

  it('answers bad lines with their number and a coded error, and goes on', async () => {
    const r = await stream(hub, [
      line({ channel: 'ps:bad', data: 1 }),
      '{not json\n',
      '\n',
      line({ channel: 'bad name', data: 2 }),
      line([1, 2]),
      line({ channel: 'ps:bad' }),
      line({ channel: 'ps:bad', data: 'x'.repeat(2000) }),
      line({ channel: 'ps:bad', data_b64: 'AAEC' }),
      // The last line has no newline: it is a line all the same.
      JSON.stringify({ channel: 'ps:bad', data: 3 }),
    ]);
    assert.equal(r.status, 200);
    for (const a of r.lines) assert.equal(checkAnswer(a), true, JSON.stringify(a));
    assert.deepEqual(
      r.lines.map((a) => (a.error === undefined ? a.offset : `${a.line} ${a.error.code}`)),
      [
        1,
        '2 invalid_json',
        '4 invalid_channel',
        '5 bad_request',
        '6 bad_request',
        '7 payload_too_large',
        2,
        3,
      ],
    );
  });

  it('refuses a line longer than the body limit without buffering it, and goes on', async () => {
    const big = `{"channel":"ps:big","data":"${'y'.repeat(MAX_BODY * 3)}"}\n`;
    const chunks = [line({ channel: 'ps:big', data: 'a' })];
    for (let at = 0; at < big.length; at += 1000) chunks.push(big.slice(at, at + 1000));
    chunks.push(line({ channel: 'ps:big', data: 'b' }));
    const r = await stream(hub, chunks);
    assert.deepEqual(
      r.lines.map((a) => (a.error === undefined ? a.offset : `${a.line} ${a.error.code}`)),
      [1, '2 payload_too_large', 2],
    );
    assert.match(r.lines[1].error.message, new RegExp(`larger than ${MAX_BODY} bytes`));
  });

  it('keeps idempotency keys: a repeated key is answered as a duplicate and delivered once', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'ps:idem' });
    const r = await stream(hub, [
      line({ channel: 'ps:idem', data: 1, idempotencyKey: 'k1' }),
      line({ channel: 'ps:idem', data: 1, idempotencyKey: 'k1' }),
      line({ channel: 'ps:idem', data: 2, idempotencyKey: 'k2' }),
    ]);
    assert.deepEqual(
      r.lines.map((a) => [a.offset, a.duplicate ?? false]),
      [
        [1, false],
        [1, true],
        [2, false],
      ],
    );
    await c.waitMessages(2, 'ps:idem');
    await hub.publish('ps:idem', 3);
    await c.waitMessages(3, 'ps:idem');
    assert.deepEqual(
      c.messages('ps:idem').map((m) => (m as unknown as { data: unknown }).data),
      [1, 2, 3],
    );
    await c.close();
  });

  it('refuses a missing or wrong key, a wrong method and a body that is not ndjson, as other API routes do', async () => {
    const none = await stream(hub, [line({ channel: 'a', data: 1 })], { authorization: '' });
    assert.equal(none.status, 401);
    assert.equal(none.lines[0].error.code, 'unauthorized');
    const wrong = await stream(hub, [line({ channel: 'a', data: 1 })], { authorization: 'Bearer nope-nope' });
    assert.equal(wrong.status, 401);
    const json = await stream(hub, [line({ channel: 'a', data: 1 })], { 'content-type': 'application/json' });
    assert.equal(json.status, 415);
    assert.equal(json.lines[0].error.code, 'unsupported_media_type');
    const get = await fetch(`${hub.url}/api/publish/stream`, {
      headers: { authorization: `Bearer ${TEST_API_KEY}` },
    });
    assert.equal(get.status, 405);
  });

  it('works over HTTP/2', async () => {
    const session = await h2connect(hub.url);
    const req = session.request({
      ':method': 'POST',
      ':path': '/api/publish/stream',
      authorization: `Bearer ${TEST_API_KEY}`,
      'content-type': 'application/x-ndjson',
    });
    let text = '';
    let status = 0;
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.setEncoding('utf8');
    req.on('data', (s: string) => {
      text += s;
    });
    const ended = new Promise<void>((resolve) => req.on('end', resolve));
    for (let i = 0; i < 300; i++) req.write(line({ channel: 'ps:h2', data: i }));
    req.write('nope\n');
    req.end(line({ channel: 'ps:h2', data: 'last' }));
    await ended;
    session.close();
    assert.equal(status, 200);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 302);
    assert.deepEqual(
      lines.slice(0, 300).map((a) => a.offset),
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
    assert.equal(lines[300].error.code, 'invalid_json');
    assert.equal(lines[300].line, 301);
    assert.equal(lines[301].offset, 301);
  });

  it('leaves the hub healthy when the client goes away mid-stream', async () => {
    const req = request(`${hub.url}/api/publish/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/x-ndjson' },
    });
    req.on('error', () => {});
    let answered = 0;
    req.on('response', (res) => {
      res.on('data', (b: Buffer) => {
        for (const x of b) if (x === 0x0a) answered++;
      });
      res.on('error', () => {});
    });
    for (let i = 0; i < 100; i++) req.write(line({ channel: 'ps:abort', data: i }));
    // Half a line, then gone.
    req.write('{"channel":"ps:abort","da');
    await until(
      () => answered >= 100,
      () => `answered ${answered}`,
    );
    req.destroy();
    // The hub still answers, on new connections and the stream endpoint alike.
    const r = await hub.api('publish', { channel: 'ps:abort', data: 'after' });
    assert.equal(r.status, 200);
    assert.equal(r.body.offset, 101);
    const again = await stream(hub, [line({ channel: 'ps:abort', data: 'again' })]);
    assert.equal(again.lines[0].offset, 102);
  });

  it('answers pipelined publishes on one keep-alive connection, each in order', async () => {
    const n = 50;
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel: 'ps:pipe' });
    let wire = '';
    for (let i = 0; i < n; i++) {
      const body =
        i === 7 ? '{"channel":"bad name","data":1}' : JSON.stringify({ channel: 'ps:pipe', data: i });
      wire +=
        `POST /api/publish HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer ${TEST_API_KEY}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: pipe-${i}\r\n\r\n${body}`;
    }
    const socket = tcpConnect(Number(new URL(hub.url).port), '127.0.0.1');
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (s: string) => {
      got += s;
    });
    // All requests in one write: the hub reads them back to back.
    socket.write(wire);
    const answers = await until(
      () => {
        const parts = got.split('HTTP/1.1 ').slice(1);
        if (parts.length < n) return false;
        const last = parts[n - 1] as string;
        const length = Number(/content-length: (\d+)/i.exec(last)?.[1] ?? -1);
        const bodyStart = last.indexOf('\r\n\r\n') + 4;
        return last.length - bodyStart >= length && parts;
      },
      () => `got ${got.split('HTTP/1.1 ').length - 1} answers`,
    );
    socket.destroy();
    let offset = 0;
    for (const [i, part] of answers.entries()) {
      assert.match(part, new RegExp(`x-request-id: pipe-${i}\\r\\n`, 'i'));
      const body = JSON.parse(part.slice(part.indexOf('\r\n\r\n') + 4, part.lastIndexOf('}') + 1));
      if (i === 7) {
        assert.match(part, /^400 /);
        assert.equal(body.error.code, 'invalid_channel');
      } else {
        assert.match(part, /^200 /);
        assert.equal(body.offset, ++offset);
      }
    }
    await c.waitMessages(n - 1, 'ps:pipe');
    assert.deepEqual(
      c.messages('ps:pipe').map((m) => (m as unknown as { data: unknown }).data),
      Array.from({ length: n }, (_, i) => i).filter((i) => i !== 7),
    );
    await c.close();
  });
});
