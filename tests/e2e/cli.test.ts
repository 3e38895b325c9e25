import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WsTestClient } from '../helpers/ws-client.ts';

const BIN = fileURLToPath(new URL('../../packages/server/bin/switchboard.js', import.meta.url));

describe('switchboard serve (the real command)', () => {
  it('starts, prints where everything is, serves, and drains on SIGTERM with exit 0', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn'],
      {
        env: { ...process.env, SWITCHBOARD_API_KEY: 'cli-test-key' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    const deadline = Date.now() + 20_000;
    while (!/WebSocket\s+ws:\/\/[^:]+:(\d+)\/ws/.test(stderr) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const port = Number(/WebSocket\s+ws:\/\/[^:]+:(\d+)\/ws/.exec(stderr)?.[1]);
    assert.ok(port > 0, `banner: ${stderr}`);
    assert.match(stderr, /inspector\s+http:\/\/127\.0\.0\.1:\d+\//);
    assert.doesNotMatch(stderr, /cli-test-key/, 'a configured API key is never printed');

    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Switchboard/);
    const publish = await fetch(`http://127.0.0.1:${port}/api/publish`, {
      method: 'POST',
      headers: { authorization: 'Bearer cli-test-key', 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'c', data: 1 }),
    });
    assert.equal(publish.status, 200);

    const ws = await WsTestClient.connect(`ws://127.0.0.1:${port}/ws`);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await ws.closed();
    assert.equal(ws.closeCode, 4000);
    const [code, signal] = await exited;
    assert.equal(signal, null, `exited by signal ${String(signal)}; stderr: ${stderr}`);
    assert.equal(code, 0);
    assert.match(stderr, /SIGTERM, draining/);
  });
});
