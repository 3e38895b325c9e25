// Security as tested invariants: every bad token answered the same way, cross-site requests refused before any
// side effect, permissions and user channels enforced, injection and oversize input refused, slow and flooding
// clients cut off while everyone else goes on.
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import WebSocket from 'ws';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { confusedKey, rsaPair, sign, unsigned } from '../helpers/jwt.ts';
import { metric } from '../helpers/metrics.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { tryUpgrade } from '../helpers/upgrade.ts';
import { type Frame, WsTestClient } from '../helpers/ws-client.ts';

const ALLOWED = 'http://allowed.test';
const EVIL = 'http://evil.test';
const rsa = rsaPair();
const other = rsaPair();
const AUD = 'switchboard';
const ISS = 'https://issuer.test';

/** A valid RS256 token for the hub below, with `claims` on top. */
const good = (claims: Record<string, unknown> = {}, o: Parameters<typeof sign>[1] = {}) =>
  sign(
    { sub: '42', subscribe: ['chat:*'], ...claims },
    { alg: 'RS256', key: rsa.privateKey, audience: AUD, issuer: ISS, ...o },
  );

describe('hardening', () => {
  let hub: TestHub;

  before(async () => {
    hub = await startTestHub({
      server: {
        allowedOrigins: [ALLOWED],
        headersTimeoutMs: 1_000,
        requestTimeoutMs: 2_000,
        perMessageDeflate: true,
      },
      auth: { publicKey: rsa.pem, audience: AUD, issuer: ISS, leewayMs: 0 },
      channel: { clientPublish: true },
      limits: { maxFrameBytes: 64 * 1024, publishRate: 5 },
      api: { maxBodyBytes: 64 * 1024 },
    });
  });
  after(async () => {
    await hub?.shutdown();
  });

  async function wsAuth(token: string): Promise<{ error: Frame; close: number | undefined }> {
    const c = await WsTestClient.connect(hub.wsUrl);
    const error = await c.request({ type: 'auth', token });
    await c.closed();
    return { error, close: c.closeCode };
  }

  it('answers every bad token the same way, on WebSocket and SSE, never saying which check failed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad: Record<string, string> = {
      'alg none': unsigned({ sub: '42', exp: now + 600, aud: AUD, iss: ISS }),
      'HMAC with the public key as secret': await sign(
        { sub: '42' },
        { alg: 'HS256', key: confusedKey(rsa.pem), audience: AUD, issuer: ISS },
      ),
      expired: await good({}, { expiresIn: -60 }),
      'not yet valid': await good({}, { notBefore: 600 }),
      'no exp': await good({}, { expiresIn: null }),
      'wrong aud': await good({}, { audience: 'someone-else' }),
      'wrong iss': await good({}, { issuer: 'https://evil.test' }),
      'wrong key': await sign(
        { sub: '42' },
        { alg: 'RS256', key: other.privateKey, audience: AUD, issuer: ISS },
      ),
      'malformed: two parts': 'abc.def',
      'malformed: garbage': '!!!.???.***',
      'malformed: bad JSON': `${Buffer.from('{').toString('base64url')}.e30.sig`,
      'bad claim type': await good({ subscribe: 'chat:*' }),
    };
    const wsAnswers = new Set<string>();
    const sseAnswers = new Set<string>();
    for (const [name, token] of Object.entries(bad)) {
      const { error, close } = await wsAuth(token);
      assert.equal(error.type, 'error', name);
      assert.equal(error.code, 'unauthorized', name);
      assert.equal(close, 4501, name);
      wsAnswers.add(JSON.stringify({ code: error.code, message: error.message }));
      const res = await fetch(`${hub.url}/sse?channel=chat:a`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 401, name);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      sseAnswers.add(await res.text());
    }
    assert.equal(wsAnswers.size, 1, [...wsAnswers].join('\n'));
    assert.equal(sseAnswers.size, 1, [...sseAnswers].join('\n'));
    assert.doesNotMatch([...wsAnswers, ...sseAnswers].join(), /exp|aud|iss|alg|signature|key|nbf/i);

    // The control: the same hub accepts a good token.
    const c = await WsTestClient.connect(hub.wsUrl);
    const authed = await c.request({ type: 'auth', token: await good() });
    assert.equal(authed.type, 'authed');
    assert.equal(authed.user, '42');
    await c.close();
    assert.ok((await metric(hub.url, 'switchboard_refused_total', { reason: 'unauthorized' })) >= 24);
  });

  it('refuses a cross-site WebSocket upgrade and SSE request before any side effect', async () => {
    const before = hub.node.connectionCount;
    const ws = await tryUpgrade(`${hub.wsUrl}`, { origin: EVIL });
    assert.equal(ws.status, 403);
    assert.equal(JSON.parse(ws.body).error.code, 'origin_not_allowed');
    // Even with a valid token in a cookie, an SSE request from a disallowed origin does nothing.
    const token = await good({ subscribe: ['room:*'] });
    const sse = await fetch(`${hub.url}/sse?channel=room:x`, {
      headers: { origin: EVIL, cookie: `switchboard_token=${token}` },
    });
    assert.equal(sse.status, 403);
    assert.equal((await sse.json()).error.code, 'origin_not_allowed');
    assert.equal(sse.headers.get('access-control-allow-origin'), null);
    assert.equal(hub.node.connectionCount, before);
    assert.equal((await hub.api('presence', { channel: 'room:x' })).body.clients.length, 0);
    assert.deepEqual((await hub.api('channels')).body.channels, []);
    assert.ok((await metric(hub.url, 'switchboard_refused_total', { reason: 'origin_not_allowed' })) >= 2);

    // The allowed origin gets in, with CORS credentials; its preflight is answered.
    const ok = await SseTestClient.open(`${hub.url}/sse?channel=room:x`, {
      origin: ALLOWED,
      cookie: `switchboard_token=${token}`,
    });
    assert.equal(ok.response.statusCode, 200);
    assert.equal(ok.response.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(ok.response.headers['access-control-allow-credentials'], 'true');
    await ok.close();
    const pre = await fetch(`${hub.url}/sse?channel=room:x`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-headers': 'authorization' },
    });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.equal((await tryUpgrade(hub.wsUrl, { origin: ALLOWED })).status, 101);
  });

  it('answers CORS for the HTTP API: preflight, credentials for allowed origins, 403 for others', async () => {
    const pre = await fetch(`${hub.url}/api/publish`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    const ok = await hub.api('publish', { channel: 'cors', data: 1 }, { headers: { origin: ALLOWED } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED);
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(ok.headers.get('vary'), 'Origin');
    // Errors carry the CORS headers too, so the page can read why.
    const bad = await hub.api('publish', { channel: 'cors' }, { headers: { origin: ALLOWED } });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('access-control-allow-origin'), ALLOWED);
    const evil = await hub.api('publish', { channel: 'cors', data: 1 }, { headers: { origin: EVIL } });
    assert.equal(evil.status, 403);
    assert.equal(evil.body.error.code, 'origin_not_allowed');
    assert.equal((await hub.api('history', { channel: 'cors' })).body.publications.length, 1);
  });

  it('refuses subscribe and publish outside the token, and a user channel to another user', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'auth', token: await good({ subscribe: ['chat:*'], publish: ['chat:lobby'] }) });
    assert.equal((await c.request({ type: 'subscribe', channel: 'chat:lobby' })).type, 'subscribed');
    const sub = await c.request({ type: 'subscribe', channel: 'news:x' });
    assert.equal(sub.code, 'forbidden');
    assert.equal((await c.request({ type: 'publish', channel: 'chat:lobby', data: 1 })).type, 'published');
    assert.equal((await c.request({ type: 'publish', channel: 'chat:other', data: 1 })).code, 'forbidden');
    assert.equal((await c.request({ type: 'history', channel: 'news:x' })).code, 'forbidden');
    assert.equal((await c.request({ type: 'presence', channel: 'chat:lobby' })).code, 'forbidden');
    assert.equal((await c.request({ type: 'subscribe', channel: 'user#42' })).type, 'subscribed');
    assert.equal((await c.request({ type: 'subscribe', channel: 'user#43' })).code, 'forbidden');
    await c.close();

    const intruder = await WsTestClient.connect(hub.wsUrl);
    await intruder.request({ type: 'auth', token: await good({ sub: '43', subscribe: ['*'] }) });
    assert.equal((await intruder.request({ type: 'subscribe', channel: 'user#42' })).code, 'forbidden');
    assert.equal((await intruder.request({ type: 'subscribe', channel: 'dm#42,43' })).type, 'subscribed');
    await intruder.close();
    const sse = await fetch(`${hub.url}/sse?channel=user#42`.replace('#', '%23'), {
      headers: { authorization: `Bearer ${await good({ sub: '43', subscribe: ['*'] })}` },
    });
    assert.equal(sse.status, 403);

    // Anonymous access is off (a key is configured): no subscribe, no stream.
    const anon = await WsTestClient.connect(hub.wsUrl);
    assert.equal((await anon.request({ type: 'subscribe', channel: 'chat:lobby' })).code, 'unauthorized');
    await anon.close();
    assert.equal((await fetch(`${hub.url}/sse?channel=chat:lobby`)).status, 401);
  });

  it('keeps CR, LF and NUL out of SSE fields and headers', async () => {
    for (const channel of ['a%0D%0Aevent:%20x', 'a%0Ab', 'a%00b', 'a%0D']) {
      const res = await fetch(`${hub.url}/sse?channel=${channel}`);
      assert.equal(res.status, 400, channel);
      assert.equal((await res.json()).error.code, 'invalid_channel');
    }
    // Raw header bytes: the parser refuses them before routing, and nothing is echoed.
    for (const header of [
      'Origin: http://allowed.test\rX-Injected: 1',
      'Last-Event-ID: a\0b',
      'Cookie: a=b\0c',
    ]) {
      const answer = await rawRequest(
        hub.port,
        `GET /sse?channel=a HTTP/1.1\r\nHost: x\r\n${header}\r\n\r\n`,
      );
      assert.match(answer, /^HTTP\/1\.1 400/, header);
      assert.doesNotMatch(answer, /X-Injected/i);
    }
    // Data with line breaks and NUL arrives as one event with exactly that data.
    const token = await good({ subscribe: ['inj:*'] });
    const s = await SseTestClient.open(`${hub.url}/sse?channel=inj:a`, { authorization: `Bearer ${token}` });
    await s.waitFor((e) => e.event === 'subscribed');
    const evil = 'x\r\nevent: disconnect\r\ndata: {}\r\n\r\n\0id: 1\n';
    await hub.publish('inj:a', { text: evil });
    const [m] = await s.waitMessages(1, 'inj:a');
    assert.equal(m!.data.text, evil);
    assert.equal(s.frames('disconnect').length, 0);
    assert.equal(s.events.filter((e) => e.event === 'message').length, 1);
    await s.close();
  });

  it('refuses oversize bodies with 413, declared or streamed', async () => {
    const big = JSON.stringify({ channel: 'a', data: 'x'.repeat(100 * 1024) });
    const r = await hub.api('publish', undefined, { raw: big });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'payload_too_large');
    const t = await hub.api('tickets', undefined, { raw: big });
    assert.equal(t.status, 413);
    const chunked = await rawRequest(
      hub.port,
      `POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key-0123456789\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${(100 * 1024).toString(16)}\r\n${'x'.repeat(100 * 1024)}\r\n0\r\n\r\n`,
    );
    assert.match(chunked, /^HTTP\/1\.1 413/);
  });

  it('closes a slowloris upgrade with the header time-out', async () => {
    // A hub of its own: a header time-out far below the request time-out, so the close can only be the former.
    // Node checks for expired headers every headersTimeout / 4 (server.ts), so the cut comes within
    // headersTimeout + that interval of the first byte; the bound adds 2 s for a loaded machine.
    const headersTimeoutMs = 1_000;
    const slow = await startTestHub({ server: { headersTimeoutMs, requestTimeoutMs: 20_000 } });
    const socket = tcpConnect(slow.port, '127.0.0.1');
    let answer = '';
    let closedAt = 0;
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      answer += c;
    });
    socket.on('close', () => {
      closedAt = performance.now();
    });
    socket.on('error', () => {
      // the hub may reset the socket while we are still writing: that is the point
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const head = 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';
    let i = 0;
    const started = performance.now();
    // One byte every 100ms, never finishing the headers: never idle, so only the header time-out can end it.
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(head[i++ % head.length]!);
    }, 100);
    drip.unref();
    const bound = headersTimeoutMs + headersTimeoutMs / 4 + 2_000;
    try {
      await until(
        () => closedAt > 0,
        () =>
          `still open ${bound} ms after the first byte (header time-out ${headersTimeoutMs} ms), got ${JSON.stringify(answer)}`,
        bound,
      );
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.ok(
        closedAt - started >= headersTimeoutMs - 50,
        `closed after ${Math.round(closedAt - started)} ms, before the header time-out`,
      );
      assert.equal(await metric(slow.url, 'switchboard_refused_total', { reason: 'request_timeout' }), 1);
    } finally {
      clearInterval(drip);
      await slow.shutdown();
    }
  });

  it('refuses a compression bomb (per-message deflate on) and keeps serving others', async () => {
    const token = await good({ subscribe: ['bomb:*'] });
    const victim = await WsTestClient.connect(hub.wsUrl);
    await victim.request({ type: 'auth', token });
    await victim.request({ type: 'subscribe', channel: 'bomb:other' });
    const bomb = new WebSocket(hub.wsUrl, { perMessageDeflate: true });
    await new Promise((resolve) => bomb.once('open', resolve));
    assert.match(String(bomb.extensions), /permessage-deflate/);
    const closed = new Promise<number>((resolve) => bomb.once('close', (code) => resolve(code)));
    // 8 MB of one byte inflates from a few KB: under the 64 KB frame limit on the wire, far over it inflated.
    bomb.send(JSON.stringify({ type: 'ping', pad: 'a'.repeat(8 * 1024 * 1024) }));
    assert.equal(await closed, 1009);
    assert.ok((await metric(hub.url, 'switchboard_refused_total', { reason: 'payload_too_large' })) >= 1);
    await hub.publish('bomb:other', 'still here');
    await victim.waitMessages(1, 'bomb:other');
    await victim.close();
  });

  it('limits a publish flood while other connections go on unharmed', async () => {
    const token = await good({ subscribe: ['flood:*'], publish: ['flood:*'] });
    const flooder = await WsTestClient.connect(hub.wsUrl);
    const calm = await WsTestClient.connect(hub.wsUrl);
    await flooder.request({ type: 'auth', token });
    await calm.request({ type: 'auth', token });
    await calm.request({ type: 'subscribe', channel: 'flood:calm' });
    await calm.request({ type: 'subscribe', channel: 'flood:a' });
    for (let i = 0; i < 200; i++) flooder.send({ type: 'publish', id: `p${i}`, channel: 'flood:a', data: i });
    const replies = await until(
      () => {
        const r = flooder.frames.filter((f) => typeof f.id === 'string' && f.id.startsWith('p'));
        return r.length === 200 && r;
      },
      () => 'not every publish was answered',
    );
    const limited = replies.filter((f) => f.code === 'too_many_requests').length;
    const published = replies.filter((f) => f.type === 'published').length;
    assert.ok(limited > 0 && published > 0 && limited + published === 200, `${published} + ${limited}`);
    // Only the accepted publishes reached the subscriber; the other connection publishes normally.
    await calm.waitMessages(published, 'flood:a');
    assert.equal(
      (await calm.request({ type: 'publish', channel: 'flood:calm', data: 'hi' })).type,
      'published',
    );
    await calm.waitMessages(1, 'flood:calm');
    assert.ok((await metric(hub.url, 'switchboard_rate_limited_total', { limit: 'publish' })) >= limited);
    await flooder.close();
    await calm.close();
  });
});

/** Writes `text` on a raw TCP connection and resolves with everything the hub answered before closing. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      answer += c;
      // An answer with a complete body is enough; some answers keep the connection open.
      if (/\r\n\r\n/.test(answer) && /content-length: (\d+)/i.test(answer)) {
        const len = Number(/content-length: (\d+)/i.exec(answer)![1]);
        if (answer.length >= answer.indexOf('\r\n\r\n') + 4 + len) socket.destroy();
      }
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' ? resolve(answer) : reject(err),
    );
  });
}
