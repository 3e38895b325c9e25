// deploy/nginx/switchboard.conf in a real nginx (Debian's nginx-light), TLS at the proxy, in front of a real hub:
// the port-80 redirect, the API, a WebSocket upgrade, SSE passed on event by event, and idle WebSocket and SSE
// connections that outlive proxy_read_timeout because the hub's heartbeats cross it. The control: a hub whose
// heartbeat is slower than the time-out gets its idle stream cut by the same nginx, so the test can fail.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { type RunningNginx, startNginx } from '../helpers/nginx.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const run = promisify(execFile);
const READ_TIMEOUT_MS = 1_500;

/** An SSE stream over https that accepts the self-signed certificate; keeps every `data:` frame and when it came. */
function openSse(url: string) {
  const frames: { at: number; frame: Record<string, unknown> }[] = [];
  let ended = false;
  let status = 0;
  let buffer = '';
  const req = request(url, { rejectUnauthorized: false, headers: { accept: 'text/event-stream' } }, (res) => {
    status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (data !== '') frames.push({ at: Date.now(), frame: JSON.parse(data) as Record<string, unknown> });
      }
    });
    res.on('end', () => {
      ended = true;
    });
    res.on('close', () => {
      ended = true;
    });
  });
  req.on('error', () => {
    ended = true;
  });
  req.end();
  return {
    frames,
    get ended() {
      return ended;
    },
    get status() {
      return status;
    },
    messages: () => frames.filter((f) => f.frame.type === 'message').map((f) => f.frame.data),
    close: () => req.destroy(),
  };
}

async function publish(base: string, channel: string, data: unknown): Promise<number> {
  const { stdout } = await run('curl', [
    '-sSk',
    '-H',
    `Authorization: Bearer ${TEST_API_KEY}`,
    '--json',
    JSON.stringify({ channel, data }),
    '-w',
    '\n%{http_code}',
    `${base}/api/publish`,
  ]);
  return Number(stdout.slice(stdout.lastIndexOf('\n') + 1));
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(probe: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await wait(10);
  }
}

describe('nginx in front of the hub (deploy/nginx/switchboard.conf)', () => {
  let hub: TestHub;
  let nginx: RunningNginx;
  before(async () => {
    hub = await startTestHub({ heartbeat: { intervalMs: 400 } });
    nginx = await startNginx(hub.port, { readTimeout: `${READ_TIMEOUT_MS}ms` });
  });
  after(async () => {
    await nginx?.stop();
    await hub?.shutdown();
  });

  it('redirects plain http to https, and serves the probes and the API over TLS', async () => {
    const { stdout: redirect } = await run('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{redirect_url}',
      `${nginx.httpUrl}/healthz`,
    ]);
    assert.match(redirect, /^308 https:\/\/127\.0\.0\.1(:\d+)?\/healthz$/);
    const { stdout: health } = await run('curl', ['-sSk', `${nginx.httpsUrl}/healthz`]);
    assert.equal(health, '{"status":"ok"}');
    assert.equal(await publish(nginx.httpsUrl, 'nginx:api', 1), 200);
  });

  it('upgrades WebSocket connections and passes frames both ways', async () => {
    const ws = await WsTestClient.connect(`${nginx.httpsUrl.replace('https', 'wss')}/ws`, {
      rejectUnauthorized: false,
    });
    await ws.request({ type: 'subscribe', channel: 'nginx:ws' });
    assert.equal(await publish(nginx.httpsUrl, 'nginx:ws', { n: 1 }), 200);
    const message = await ws.next((f) => f.type === 'message');
    assert.deepEqual(message.data, { n: 1 });
    await ws.close();
  });

  it('passes SSE on event by event, not buffered', async () => {
    const sse = openSse(`${nginx.httpsUrl}/sse?channel=nginx:sse`);
    await until(() => sse.frames.some((f) => f.frame.type === 'subscribed'), 'the subscribed event');
    for (let n = 1; n <= 3; n++) {
      const sent = Date.now();
      assert.equal(await publish(nginx.httpsUrl, 'nginx:sse', n), 200);
      await until(() => sse.messages().length === n, `message ${n} through nginx`, 2_000);
      assert.ok(sse.frames.at(-1)!.at - sent < 1_000, 'each event arrives on its own, at once');
    }
    sse.close();
  });

  it('keeps idle WebSocket and SSE connections open past proxy_read_timeout: heartbeats cross it', async () => {
    const sse = openSse(`${nginx.httpsUrl}/sse?channel=nginx:idle`);
    const ws = await WsTestClient.connect(`${nginx.httpsUrl.replace('https', 'wss')}/ws`, {
      rejectUnauthorized: false,
    });
    await ws.request({ type: 'subscribe', channel: 'nginx:idle' });
    await until(() => sse.frames.some((f) => f.frame.type === 'subscribed'), 'the subscribed event');
    await wait(READ_TIMEOUT_MS * 2.5); // nothing published: only heartbeats
    assert.equal(sse.ended, false, `the idle stream was cut: ${nginx.errorLog().slice(-500)}`);
    assert.equal(ws.closeCode, undefined);
    assert.equal(await publish(nginx.httpsUrl, 'nginx:idle', 'after the wait'), 200);
    await until(() => sse.messages().length === 1, 'the message on the idle stream');
    assert.deepEqual((await ws.next((f) => f.type === 'message')).data, 'after the wait');
    sse.close();
    await ws.close();
  });

  it('control: with heartbeats slower than proxy_read_timeout, nginx cuts the idle stream', async () => {
    const slow = await startTestHub({ heartbeat: { intervalMs: READ_TIMEOUT_MS * 4 } });
    const proxy = await startNginx(slow.port, { readTimeout: `${READ_TIMEOUT_MS}ms` });
    try {
      const sse = openSse(`${proxy.httpsUrl}/sse?channel=nginx:cut`);
      await until(() => sse.status === 200, 'the stream to open');
      const opened = Date.now();
      await until(() => sse.ended, 'nginx to cut the idle stream', READ_TIMEOUT_MS * 3);
      assert.ok(Date.now() - opened >= READ_TIMEOUT_MS - 200, 'cut by the read time-out, not at once');
    } finally {
      await proxy.stop();
      await slow.shutdown();
    }
  });
});
