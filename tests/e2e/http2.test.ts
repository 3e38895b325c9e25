// SSE and the HTTP API over HTTP/2: h2c with prior knowledge on the plain port, TLS with ALPN when a certificate
// is configured. A hundred streams on one connection resume exactly as HTTP/1.1 streams do; bad HTTP/2 input ends
// that connection only.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import WebSocket from 'ws';
import { h2connect, h2request, makeTestPki, type TestPki } from '../helpers/h2.ts';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';
import { freePort } from '../helpers/nginx.ts';
import { SseTestClient } from '../helpers/sse-client.ts';

const STREAMS = 100;

/** What a resumed stream shows of its publications: channel, offset and payload, in order. */
function received(c: SseTestClient): string[] {
  return c.messages().map((m) => `${m.channel}#${m.offset}:${JSON.stringify(m.data)}`);
}

describe('HTTP/2 (h2c with prior knowledge)', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({
      heartbeat: { intervalMs: 300, timeoutMs: 200 },
      channel: { clientPublish: true },
    });
  });
  after(() => hub.shutdown());

  it(`carries ${STREAMS} SSE streams on one connection, each resuming with Last-Event-ID exactly as over HTTP/1.1`, async () => {
    // Half the streams read one channel (the shared event bytes, `id:` included), half two (their own `id:`).
    const path = (i: number) => (i % 2 === 0 ? '/sse?channel=h2:one' : '/sse?channel=h2:one&channel=h2:two');
    const session = await h2connect(hub.url);
    assert.equal(session.remoteSettings.maxConcurrentStreams, 100);
    const streams = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) => SseTestClient.openHttp2(session, path(i))),
    );
    // Two HTTP/1.1 streams with the same URLs, to compare with.
    const h1 = await Promise.all([0, 1].map((i) => SseTestClient.open(`${hub.url}${path(i)}`)));
    for (const c of streams) {
      assert.equal(c.http2Headers?.[':status'], 200);
      assert.equal(c.http2Headers?.['content-type'], 'text/event-stream; charset=utf-8');
      assert.equal(c.http2Headers?.connection, undefined);
    }
    const all = [...streams, ...h1];
    await until(
      () => all.every((c, i) => c.frames('subscribed').length === (i % 2 === 0 ? 1 : 2)),
      () => 'not every stream is subscribed',
      10_000,
    );
    assert.equal(await metric(hub.url, 'switchboard_connections', { transport: 'sse' }), STREAMS + 2);
    assert.ok(streams.every((c) => c.raw.startsWith('retry: 2000\n\n')));

    for (let n = 1; n <= 3; n++) await hub.publish('h2:one', { n });
    for (let n = 1; n <= 2; n++) await hub.publish('h2:two', { n });
    await until(
      () => all.every((c, i) => c.messages().length === (i % 2 === 0 ? 3 : 5)),
      () => 'not every stream has its publications',
      10_000,
    );
    const ids = all.map((c) => c.lastEventId);
    assert.ok(ids.every((id) => id !== ''));

    // The cut: the whole HTTP/2 connection goes (and the HTTP/1.1 streams), then more is published.
    session.destroy();
    await Promise.all(h1.map((c) => c.close()));
    await Promise.all(streams.map((c) => c.ended()));
    await untilAsync(
      async () => (await metric(hub.url, 'switchboard_connections', { transport: 'sse' })) === 0,
      () => 'the streams are still counted after the cut',
      10_000,
    );
    for (let n = 4; n <= 6; n++) await hub.publish('h2:one', { n });
    for (let n = 3; n <= 4; n++) await hub.publish('h2:two', { n });

    const again = await h2connect(hub.url);
    const resumed = await Promise.all(
      streams.map((_, i) => SseTestClient.openHttp2(again, path(i), { 'last-event-id': ids[i]! })),
    );
    const h1Resumed = await Promise.all(
      [0, 1].map((i) => SseTestClient.open(`${hub.url}${path(i)}`, { 'last-event-id': ids[STREAMS + i]! })),
    );
    const expected = (i: number) =>
      i % 2 === 0
        ? ['h2:one#4:{"n":4}', 'h2:one#5:{"n":5}', 'h2:one#6:{"n":6}']
        : [
            'h2:one#4:{"n":4}',
            'h2:one#5:{"n":5}',
            'h2:one#6:{"n":6}',
            'h2:two#3:{"n":3}',
            'h2:two#4:{"n":4}',
          ];
    await until(
      () => [...resumed, ...h1Resumed].every((c, i) => c.messages().length >= expected(i).length),
      () => 'not every resumed stream caught up',
      10_000,
    );
    // Give a duplicate the time to show, then compare: nothing lost, nothing twice, the same as HTTP/1.1.
    await new Promise((r) => setTimeout(r, 100));
    resumed.forEach((c, i) => {
      const got = received(c);
      assert.deepEqual([...got].sort(), [...expected(i)].sort(), `HTTP/2 stream ${i}`);
      assert.deepEqual(
        [...got].sort(),
        received(h1Resumed[i % 2]!).sort(),
        `HTTP/2 stream ${i} and HTTP/1.1`,
      );
      assert.deepEqual(
        c.frames('subscribed').map((f) => [f.channel, f.recovered]),
        h1Resumed[i % 2]!.frames('subscribed').map((f) => [f.channel, f.recovered]),
      );
      assert.ok(c.frames('subscribed').every((f) => f.recovered === true));
    });
    // Live after the resume, and `since` resumes over HTTP/2 too.
    await hub.publish('h2:two', { n: 5 });
    await until(
      () => resumed.every((c, i) => i % 2 === 0 || c.messages('h2:two').length === 3),
      () => 'a resumed stream is not live',
      10_000,
    );
    // A free stream for it (a hundred is the limit per connection).
    await resumed[0]!.close();
    const since = await SseTestClient.openHttp2(
      again,
      `/sse?channel=h2:one&channel=h2:two&since=${encodeURIComponent(ids[1]!)}`,
    );
    await since.waitMessages(6);
    assert.deepEqual(received(since).sort(), [...expected(1), 'h2:two#5:{"n":5}'].sort());
    again.close();
    await Promise.all(h1Resumed.map((c) => c.close()));
  });

  it('sends heartbeats on an HTTP/2 stream and ends it with a retry hint and a disconnect event', async () => {
    const other = await startTestHub({ heartbeat: { intervalMs: 200, timeoutMs: 100 } });
    const session = await h2connect(other.url);
    const c = await SseTestClient.openHttp2(session, '/sse?channel=h2:beat');
    await until(
      () => c.comments.includes('ping'),
      () => 'no heartbeat',
      5_000,
    );
    const stopping = other.shutdown();
    await c.ended();
    await stopping;
    const last = c.events.at(-1)!;
    assert.equal(last.event, 'disconnect');
    assert.equal(last.frame.reconnect, true);
    assert.ok(c.retry !== undefined && c.retry >= 2_000, `retry ${c.retry}`);
    session.destroy();
  });

  it('cuts a slow HTTP/2 stream alone: the other streams of its connection go on', async () => {
    const small = await startTestHub({ limits: { maxOutgoingBytes: 64 * 1024, maxOutgoingMs: 200 } });
    // A small window: the stream that stops reading fills it, and the rest stays in its own buffer.
    const session = await h2connect(small.url, { settings: { initialWindowSize: 16 * 1024 } });
    const slow = await SseTestClient.openHttp2(session, '/sse?channel=h2:flood');
    const fine = await SseTestClient.openHttp2(session, '/sse?channel=h2:fine');
    await slow.waitFor((e) => e.event === 'subscribed');
    await fine.waitFor((e) => e.event === 'subscribed');
    slow.pause();
    const payload = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 12; i++) await small.publish('h2:flood', payload);
    await untilAsync(
      async () =>
        (await metric(small.url, 'switchboard_disconnects_total', { reason: 'slow_consumer' })) >= 1,
      () => 'the slow stream was not cut',
      10_000,
    );
    await small.publish('h2:fine', { still: 'here' });
    const [m] = await fine.waitMessages(1);
    assert.deepEqual(m!.data, { still: 'here' });
    session.destroy();
    await small.shutdown();
  });

  it('serves the HTTP API and the SSE command endpoint over HTTP/2', async () => {
    const session = await h2connect(hub.url);
    const auth = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };
    const health = await h2request(session, { ':path': '/healthz' });
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.text), { status: 'ok' });
    const published = await h2request(
      session,
      { ':method': 'POST', ':path': '/api/publish', ...auth },
      JSON.stringify({ channel: 'h2:api', data: { via: 'h2' } }),
    );
    assert.equal(published.status, 200);
    assert.equal(JSON.parse(published.text).offset, 1);
    const refused = await h2request(
      session,
      { ':method': 'POST', ':path': '/api/publish', 'content-type': 'application/json' },
      '{}',
    );
    assert.equal(refused.status, 401);
    // An oversize body: 413, and the connection goes on (HTTP/2 has no `Connection: close`).
    const big = await h2request(
      session,
      { ':method': 'POST', ':path': '/api/publish', ...auth },
      JSON.stringify({ channel: 'h2:api', data: 'x'.repeat(2 * 1024 * 1024) }),
    );
    assert.equal(big.status, 413);
    assert.equal(big.headers.connection, undefined);
    const history = await h2request(
      session,
      { ':method': 'POST', ':path': '/api/history', ...auth },
      JSON.stringify({ channel: 'h2:api' }),
    );
    assert.equal(history.status, 200, history.text);
    assert.equal(JSON.parse(history.text).publications.length, 1);

    // The SSE command endpoint, on the same connection as the stream it commands.
    const stream = await SseTestClient.openHttp2(session, '/sse?channel=h2:cmd');
    const connected = await stream.waitFor((e) => e.event === 'connected');
    const answer = await h2request(
      session,
      {
        ':method': 'POST',
        ':path': '/sse/command',
        'content-type': 'application/json',
        'x-switchboard-session': connected.frame.session,
      },
      JSON.stringify({ type: 'publish', id: 3, channel: 'h2:cmd', data: { ok: true } }),
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(JSON.parse(answer.text).type, 'published');
    const [m] = await stream.waitMessages(1, 'h2:cmd');
    assert.deepEqual(m!.data, { ok: true });

    // WebSocket is HTTP/1.1 only: over HTTP/2 /ws says so.
    const ws = await h2request(session, { ':path': '/ws' });
    assert.equal(ws.status, 400);
    assert.match(JSON.parse(ws.text).error.message, /HTTP\/1\.1/);
    session.close();
  });

  it('keeps HTTP/1.1 and WebSocket upgrades working on the same port', async () => {
    const r = await fetch(`${hub.url}/healthz`);
    assert.equal(r.status, 200);
    const ws = new WebSocket(hub.wsUrl);
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(String(d)));
      ws.once('error', reject);
    });
    assert.equal(JSON.parse(first).type, 'connected');
    ws.close();
  });

  it('limits concurrent streams per connection to server.http2.maxConcurrentStreams', async () => {
    const session = await h2connect(hub.url);
    const open = await Promise.all(
      Array.from({ length: 100 }, () => SseTestClient.openHttp2(session, '/sse?channel=h2:limit')),
    );
    // The 101st is not served while a hundred are open (the client holds it back under the hub's SETTINGS).
    const extra = SseTestClient.openHttp2(session, '/sse?channel=h2:limit').then(
      () => 'served',
      () => 'refused',
    );
    const sleep = new Promise((r) => setTimeout(() => r('not served'), 300));
    assert.equal(await Promise.race([extra, sleep]), 'not served');
    await open[0]!.close();
    // Sent the instant a stream closes, it may still find that slot held (Node answers RST_STREAM
    // ENHANCE_YOUR_CALM; an EventSource retries): either way it is settled, and a stream opened now is served.
    assert.match(await extra, /^(served|refused)$/);
    const c = await SseTestClient.openHttp2(session, '/sse?channel=h2:limit');
    await c.waitFor((e) => e.event === 'subscribed');
    await hub.publish('h2:limit', { n: 1 });
    await open[99]!.waitMessages(1);
    session.destroy();
  });
});

describe('HTTP/2 and server.maxConnections', () => {
  it('counts each SSE stream as one connection: over the limit a stream is refused with 503, the connection goes on', async () => {
    const hub = await startTestHub({ server: { maxConnections: 3 } });
    try {
      const session = await h2connect(hub.url);
      const streams = await Promise.all(
        [0, 1, 2].map(() => SseTestClient.openHttp2(session, '/sse?channel=h2:max')),
      );
      await Promise.all(streams.map((c) => c.waitFor((e) => e.event === 'subscribed')));
      const refused = await h2request(session, { ':path': '/sse?channel=h2:max' });
      assert.equal(refused.status, 503);
      assert.equal(JSON.parse(refused.text).error.code, 'too_many_connections');
      // API requests are not connections; the HTTP/2 connection and its streams go on.
      assert.equal((await h2request(session, { ':path': '/healthz' })).status, 200);
      await hub.publish('h2:max', { n: 1 });
      await Promise.all(streams.map((c) => c.waitMessages(1)));
      await streams[0]!.close();
      await until(
        () => hub.node.connectionCount === 2,
        () => 'the closed stream is still counted',
        5_000,
      );
      const again = await SseTestClient.openHttp2(session, '/sse?channel=h2:max');
      await again.waitFor((e) => e.event === 'subscribed');
      session.destroy();
    } finally {
      await hub.shutdown();
    }
  });
});

describe('HTTP/2 bad input', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ server: { headersTimeoutMs: 500, requestTimeoutMs: 5_000 } });
  });
  after(() => hub.shutdown());

  /** Writes `bytes` on a fresh TCP connection; resolves with what came back once the hub closed it. */
  function raw(bytes: Buffer | string, timeoutMs = 5_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect(hub.port, '127.0.0.1', () => socket.write(bytes));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => {
        // a reset is an answer too
      });
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`still open after ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
  }

  it('ends a connection that sends garbage after the preface with GOAWAY, and serves the next', async () => {
    const before = await metric(hub.url, 'switchboard_refused_total', { reason: 'bad_http2' });
    const answer = await raw(
      Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.alloc(64, 0xff)]),
    );
    // The hub's frames: its SETTINGS (type 4) first, and a GOAWAY (type 7) before it closes.
    const types: number[] = [];
    for (let at = 0; at + 9 <= answer.length; at += 9 + answer.readUIntBE(at, 3)) types.push(answer[at + 3]!);
    assert.equal(types[0], 4, `frames ${types}`);
    assert.ok(types.includes(7), `no GOAWAY among frames ${types}`);
    await untilAsync(
      async () => (await metric(hub.url, 'switchboard_refused_total', { reason: 'bad_http2' })) > before,
      () => 'the bad HTTP/2 connection was not counted',
      5_000,
    );
    const ok = await fetch(`${hub.url}/healthz`);
    assert.equal(ok.status, 200);
  });

  it('answers a preface that stops halfway with 408 after the header time-out', async () => {
    const answer = await raw('PRI * HTTP/2.0\r\n');
    assert.match(answer.toString('latin1'), /^HTTP\/1\.1 408/);
  });

  it('survives a client that resets after its 408 (a reconnect storm found this crashing the hub)', async () => {
    // Silent until the header time-out, then reset as soon as the 408 arrives: the hub has ended the connection
    // and must not die of the reset that follows (an unhandled 'error' event crashed the process).
    await new Promise<void>((resolve, reject) => {
      const socket = tcpConnect(hub.port, '127.0.0.1');
      socket.on('error', () => {
        // ours is the reset
      });
      socket.once('data', () => {
        socket.resetAndDestroy();
        resolve();
      });
      setTimeout(() => reject(new Error('no 408 within 5 s')), 5_000).unref();
    });
    await new Promise((r) => setTimeout(r, 300));
    const ok = await fetch(`${hub.url}/healthz`);
    assert.equal(ok.status, 200);
  });

  it('treats a request that only starts like the preface as HTTP/1.1', async () => {
    const answer = await raw('PRI / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(answer.toString('latin1'), /^HTTP\/1\.1 (400|404|405)/);
    const post = await raw(
      'POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    );
    assert.match(post.toString('latin1'), /^HTTP\/1\.1 401/);
  });

  it('survives a reset flood: streams opened and cancelled at once are all cleaned up', async () => {
    const session = await h2connect(hub.url);
    const errors: unknown[] = [];
    session.on('error', (e) => errors.push(e));
    for (let i = 0; i < 2_000 && !session.destroyed; i++) {
      const s = session.request({ ':path': '/sse?channel=h2:flood' });
      s.on('error', () => {
        // the hub may refuse the stream or end the connection: that is the point
      });
      s.close();
    }
    await new Promise<void>((resolve) => {
      session.on('close', resolve);
      setTimeout(() => {
        session.destroy();
      }, 2_000).unref();
    });
    await untilAsync(
      async () => (await metric(hub.url, 'switchboard_connections', { transport: 'sse' })) === 0,
      () => 'streams of the flood are still counted',
      10_000,
    );
    const ok = await fetch(`${hub.url}/healthz`);
    assert.equal(ok.status, 200);
    // A fresh connection works.
    const fresh = await h2connect(hub.url);
    assert.equal((await h2request(fresh, { ':path': '/healthz' })).status, 200);
    fresh.close();
  });
});

describe('TLS with ALPN (server.tls)', () => {
  let pki: TestPki;
  let hub: TestHub;
  before(async () => {
    pki = makeTestPki();
    hub = await startTestHub({ server: { tls: { cert: pki.certFile, key: pki.keyFile } } });
  });
  after(async () => {
    await hub?.shutdown();
    pki?.remove();
  });

  it('offers h2 and http/1.1; SSE over HTTP/2 on TLS', async () => {
    assert.match(hub.url, /^https:\/\//);
    const url = hub.url.replace('127.0.0.1', 'localhost');
    const session = await h2connect(url, { ca: pki.ca });
    assert.equal((session.socket as unknown as { alpnProtocol: string }).alpnProtocol, 'h2');
    const c = await SseTestClient.openHttp2(session, '/sse?channel=tls:a');
    await c.waitFor((e) => e.event === 'subscribed');
    const auth = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };
    const r = await h2request(
      session,
      { ':method': 'POST', ':path': '/api/publish', ...auth },
      JSON.stringify({ channel: 'tls:a', data: 1 }),
    );
    assert.equal(r.status, 200);
    await c.waitMessages(1);
    session.close();
  });

  it('serves HTTP/1.1 to a client that asks for it, and WebSocket over wss', async () => {
    const alpn = await new Promise<string | false>((resolve, reject) => {
      const s = tlsConnect(
        {
          host: '127.0.0.1',
          port: hub.port,
          ca: pki.ca,
          servername: 'localhost',
          ALPNProtocols: ['http/1.1'],
        },
        () => {
          resolve(s.alpnProtocol ?? false);
          s.destroy();
        },
      );
      s.on('error', reject);
    });
    assert.equal(alpn, 'http/1.1');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(`${hub.url}/healthz`, { ca: pki.ca, servername: 'localhost' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    const ws = new WebSocket(`${hub.url.replace('https', 'wss').replace('127.0.0.1', 'localhost')}/ws`, {
      ca: pki.ca,
    });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(String(d)));
      ws.once('error', reject);
    });
    assert.equal(JSON.parse(first).type, 'connected');
    ws.close();
  });

  it('streams SSE over HTTP/1.1 on TLS, the stream off the HTTP server after its head (bytes after it are not parsed)', async () => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port: hub.port,
      ca: pki.ca,
      servername: 'localhost',
      ALPNProtocols: ['http/1.1'],
    });
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      text += d;
    });
    const readUntil = async (what: string): Promise<void> => {
      while (!text.includes(what)) {
        if (s.readableEnded) throw new Error(`the stream ended before ${what}: ${text}`);
        await once(s, 'data');
      }
    };
    await once(s, 'secureConnect');
    s.write('GET /sse?channel=tls:h1 HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await readUntil('event: subscribed');
    s.write('NOT HTTP\r\n\r\n');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        `${hub.url}/api/publish`,
        {
          ca: pki.ca,
          servername: 'localhost',
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ channel: 'tls:h1', data: 'over tls' }));
    });
    assert.equal(status, 200);
    await readUntil('"data":"over tls"');
    assert.equal(text.match(/HTTP\/1\.1 /g)?.length, 1, text);
    s.destroy();
  });

  it("runs the README's command: npm start -- --tls-cert cert.pem --tls-key key.pem", async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const command = /^npm start -- --tls-cert cert\.pem --tls-key key\.pem(?= |$)/m.exec(readme)?.[0];
    assert.ok(command, 'the README no longer shows the command');
    const port = await freePort();
    const args = command
      .split(' ')
      .slice(1)
      .map((a) => (a === 'cert.pem' ? pki.certFile : a === 'key.pem' ? pki.keyFile : a));
    const env: NodeJS.ProcessEnv = { ...process.env, SWITCHBOARD_API_KEY: TEST_API_KEY, PORT: String(port) };
    for (const k of Object.keys(env))
      if (k.startsWith('SWITCHBOARD_') && k !== 'SWITCHBOARD_API_KEY') delete env[k];
    const child = spawn('npm', args, {
      cwd: new URL('../..', import.meta.url).pathname,
      env,
      detached: true,
      stdio: 'ignore',
    });
    try {
      const session = await untilAsync(
        () => h2connect(`https://localhost:${port}`, { ca: pki.ca }).catch(() => undefined),
        () => `npm start with TLS did not answer on ${port}`,
        30_000,
      );
      assert.equal((session.socket as unknown as { alpnProtocol: string }).alpnProtocol, 'h2');
      assert.equal((await h2request(session, { ':path': '/healthz' })).status, 200);
      session.close();
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
  });

  it('refuses to start on a certificate it cannot read, naming the option', async () => {
    await assert.rejects(
      startTestHub({ server: { tls: { cert: `${pki.dir}/missing.pem`, key: pki.keyFile } } }),
      /^Error: server\.tls\.cert: cannot read .*missing\.pem \(ENOENT\)$/,
    );
  });

  it('refuses a client that does not trust the certificate, and plain HTTP on the TLS port', async () => {
    await assert.rejects(h2connect(hub.url), /self-signed|unable to verify|certificate/i);
    const answer = await new Promise<string>((resolve) => {
      const socket = tcpConnect(hub.port, '127.0.0.1', () =>
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (c) => {
        text += c.toString('latin1');
      });
      socket.on('error', () => resolve(text));
      socket.on('close', () => resolve(text));
    });
    assert.doesNotMatch(answer, /^HTTP\/1\.1 200/);
  });
});

describe('docs/deploy.md, HTTP/2 and TLS', () => {
  const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const start = doc.indexOf('## HTTP/2 and TLS');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const curls = [...section.matchAll(/^curl [^#\n]*/gm)].map((m) => m[0].trim());

  /** Runs one of the doc's curl commands (for two seconds: the stream never ends by itself) against `hub`. */
  function run(command: string, hub: TestHub, ca?: string): Promise<{ stdout: string; stderr: string }> {
    const args = command
      .replace(/'/g, '')
      .replace('https://localhost:8080', hub.url.replace('127.0.0.1', 'localhost'))
      .replace('http://localhost:8080', hub.url)
      .split(/\s+/)
      .slice(1)
      .map((a) => (a === 'ca.pem' && ca !== undefined ? ca : a));
    return new Promise((resolve) => {
      execFile('curl', ['--max-time', '2', ...args], (_err, stdout, stderr) => resolve({ stdout, stderr }));
    });
  }

  it('runs its curl commands: SSE over HTTP/2 with TLS, and with prior knowledge', async () => {
    assert.equal(curls.length, 2, curls.join('\n'));
    const pki = makeTestPki();
    const tls = await startTestHub({ server: { tls: { cert: pki.certFile, key: pki.keyFile } } });
    const plain = await startTestHub();
    try {
      for (const [command, hub] of [
        [curls[0]!, tls],
        [curls[1]!, plain],
      ] as const) {
        const { stdout, stderr } = await run(command, hub, pki.caFile);
        assert.match(stderr, /< HTTP\/2 200/, `${command}\n${stderr}`);
        assert.match(stdout, /event: connected\n/);
        assert.match(stdout, /event: subscribed\n(id: .*\n)?data: \{"type":"subscribed","channel":"scores"/);
      }
    } finally {
      await tls.shutdown();
      await plain.shutdown();
      pki.remove();
    }
  });
});

describe('the load generator over HTTP/2 (bench --http2)', () => {
  it('runs a fan-out step with its SSE subscribers as streams of shared HTTP/2 connections', async () => {
    const hub = await startTestHub();
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
    try {
      const args = [
        '--target',
        hub.url,
        '--api-key',
        TEST_API_KEY,
        '--scenario',
        'fanout',
        '--transport',
        'sse',
        '--quick',
        '--subscribers',
        '150',
        '--fanout-sizes',
        '150',
        '--workers',
        '1',
        '--step-ms',
        '300',
        '--http2',
      ];
      const bench = new URL('../../packages/bench/src/index.ts', import.meta.url).pathname;
      const script = `import { runBenchCli } from ${JSON.stringify(bench)}; process.exitCode = await runBenchCli(${JSON.stringify(args)});`;
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, hub.node.connectionCount);
      }, 20);
      const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
        // A file, not `-e`: the generator forks its workers with this process's flags.
        const file = join(dir, 'run.mjs');
        writeFileSync(file, script);
        const child = spawn(process.execPath, [file], { stdio: 'pipe' });
        let out = '';
        child.stdout.on('data', (c) => {
          out += c;
        });
        child.stderr.on('data', (c) => {
          out += c;
        });
        child.on('close', (code) => resolve({ code, out }));
      });
      clearInterval(sampler);
      assert.equal(code, 0, out);
      assert.match(out, /SSE over HTTP\/2/);
      assert.match(out, /150\/150 subscribers live/);
      assert.match(out, /lost 0, duplicates 0/);
      assert.equal(peak, 150, 'the hub held the 150 streams as 150 SSE sessions');
    } finally {
      await hub.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
