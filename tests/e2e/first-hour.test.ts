// What a new user meets first, with the tools they use: curl's publish that forgets the JSON type, and curl --http2
// (an `Upgrade: h2c` offer on plain http) against every route.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const run = promisify(execFile);

/** curl's output (body then, after a newline, the status), never failing on an HTTP error status. */
async function curl(...args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

/** One raw HTTP/1.1 exchange: the response's head and body as text. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('the first hour', () => {
  let hub: TestHub;
  let port: number;
  before(async () => {
    hub = await startTestHub();
    port = Number(new URL(hub.url).port);
  });
  after(() => hub.shutdown());

  it('a publish sent as a form (curl -d) gets a 415 that says what to send; curl --json works', async () => {
    const auth = ['-H', `Authorization: Bearer ${TEST_API_KEY}`];
    const form = await curl(...auth, '-d', '{"channel":"fh","data":1}', `${hub.url}/api/publish`);
    assert.equal(form.status, 415);
    const { error } = JSON.parse(form.body) as { error: { code: string; message: string } };
    assert.equal(error.code, 'unsupported_media_type');
    assert.match(error.message, /Content-Type: application\/json/);
    assert.match(error.message, /curl: --json/);
    const json = await curl(...auth, '--json', '{"channel":"fh","data":1}', `${hub.url}/api/publish`);
    assert.equal(json.status, 200, json.body);
    assert.equal(JSON.parse(json.body).offset, 1);
  });

  it('curl --http2 (Upgrade: h2c) is served over HTTP/1.1 on every route', async () => {
    const health = await curl('--http2', `${hub.url}/healthz`);
    assert.deepEqual(health, { status: 200, body: '{"status":"ok"}' });
    const published = await curl(
      '--http2',
      '-H',
      `Authorization: Bearer ${TEST_API_KEY}`,
      '--json',
      '{"channel":"fh2","data":{"v":2}}',
      `${hub.url}/api/publish`,
    );
    assert.equal(published.status, 200, published.body);
    const sse = await run('curl', [
      '-sS',
      '--http2',
      '-m',
      '2',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `${hub.url}/sse?channel=fh2`,
    ])
      .then(() => ({ status: 0, code: 0 }))
      .catch((err: { stdout: string; code: number }) => ({ status: Number(err.stdout), code: err.code }));
    // The stream stays open until curl's time-out (exit 28) with a 200 head.
    assert.deepEqual(sse, { status: 200, code: 28 });
    const missing = await curl('--http2', `${hub.url}/nope`);
    assert.equal(missing.status, 404);
  });

  it('an upgrade to anything but WebSocket is ignored: the request is answered as plain HTTP', async () => {
    const text = await raw(
      port,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n',
    );
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\{"status":"ok"\}$/);
    const ws = await raw(port, 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    assert.match(
      ws,
      /^HTTP\/1\.1 400 /,
      'an h2c offer on /ws is an HTTP request there: it speaks WebSocket only',
    );
    // WebSocket upgrades still work, and still go to /ws only.
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.close();
    const elsewhere = await raw(
      port,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    assert.match(elsewhere, /^HTTP\/1\.1 404 /);
  });
});
