import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
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

/**
 * Starts `switchboard serve` with `env` and `nodeArgs`, waits for its banner, and returns the Node arguments its
 * process runs with (from /proc: the launcher re-executes itself in place, so the process id stays the same).
 */
async function serveArgs(env: Record<string, string>, nodeArgs: string[] = []): Promise<string[]> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn'],
    {
      env: { ...process.env, SWITCHBOARD_API_KEY: 'cli-test-key', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
  });
  const exited = once(child, 'exit');
  try {
    const deadline = Date.now() + 20_000;
    while (!/WebSocket\s+ws:\/\//.test(stderr) && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.match(stderr, /WebSocket\s+ws:\/\//, `banner: ${stderr}`);
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    return argv.slice(1, argv.indexOf(BIN));
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

describe("switchboard serve and V8's young generation (docs/configuration.md, Node runtime flags)", () => {
  it('runs with --max-semi-space-size=16 by default, the same process re-executed in place', async () => {
    assert.deepEqual(await serveArgs({}), ['--max-semi-space-size=16']);
  });

  it('takes the size from SWITCHBOARD_MAX_SEMI_SPACE_MB, and 0 leaves it to V8', async () => {
    assert.deepEqual(await serveArgs({ SWITCHBOARD_MAX_SEMI_SPACE_MB: '8' }), ['--max-semi-space-size=8']);
    assert.deepEqual(await serveArgs({ SWITCHBOARD_MAX_SEMI_SPACE_MB: '0' }), []);
  });

  it("leaves the operator's own flag alone, on Node's command line or in NODE_OPTIONS", async () => {
    assert.deepEqual(await serveArgs({}, ['--max-semi-space-size=4']), ['--max-semi-space-size=4']);
    assert.deepEqual(await serveArgs({ NODE_OPTIONS: '--max-semi-space-size=4' }), []);
    assert.deepEqual(await serveArgs({ NODE_OPTIONS: '--max_semi_space_size=4' }), []);
  });

  it('refuses a size that is not a whole number of MB', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, SWITCHBOARD_MAX_SEMI_SPACE_MB: 'lots' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /SWITCHBOARD_MAX_SEMI_SPACE_MB must be a whole number of MB/);
  });
});
