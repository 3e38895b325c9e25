// The single executable (`npm run build:binary` → dist/switchboard), as a user runs it: copied to a folder outside
// the repository and started with a PATH that has no `node` on it. `serve` (memory, and two nodes over a real
// Redis through the bundled engine; the inspector's embedded files; a drain on SIGTERM), `check-config` and
// `bench` against it. Prints the binary's size and start-up time (no assertion on speed: the machine is shared).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@switchboard/client';
import { RedisServer } from '@switchboard/test-helpers/redis-server';
import { ROOT, type ServedHub, startServed } from '../helpers/consumer.ts';

const API_KEY = 'binary-test-key-0123456789';

describe('dist/switchboard, the single executable, with no Node installed', () => {
  let dir = '';
  let bin = '';
  /** A user's environment without Node: PATH is an empty folder. */
  let env: NodeJS.ProcessEnv = {};
  const hubs: ServedHub[] = [];
  let redis: RedisServer | undefined;

  const serve = async (...args: string[]) => {
    const hub = await startServed(bin, ['serve', '--port', '0', '--host', '127.0.0.1', ...args], dir, {
      ...env,
      SWITCHBOARD_API_KEY: API_KEY,
    });
    hubs.push(hub);
    return hub;
  };

  before(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/binary/build.ts')], { stdio: 'inherit' });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-binary-'));
    bin = join(dir, 'switchboard');
    copyFileSync(join(ROOT, 'dist/switchboard'), bin);
    execFileSync('chmod', ['755', bin]);
    mkdirSync(join(dir, 'empty-path'));
    env = { PATH: join(dir, 'empty-path'), HOME: dir };
  });
  after(async () => {
    for (const hub of hubs) await hub.stop();
    await redis?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('runs where no node is on the PATH', () => {
    const which = spawnSync('/bin/sh', ['-c', 'command -v node'], { env });
    assert.notEqual(which.status, 0, 'node must not be reachable from the test environment');
    const version = spawnSync(bin, ['--version'], { env, encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('check-config prints the resolved configuration, and refuses a bad one with status 1', () => {
    const ok = spawnSync(bin, ['check-config', '--port', '9123', '--history-size', '7'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(ok.status, 0, ok.stderr);
    const config = JSON.parse(ok.stdout) as {
      server: { port: number };
      channel: { history: { size: number } };
    };
    assert.equal(config.server.port, 9123);
    assert.equal(config.channel.history.size, 7);
    const bad = spawnSync(bin, ['check-config', '--port', 'eighty'], { env, encoding: 'utf8' });
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /invalid configuration[\s\S]*--port: must be an integer/);
  });

  it('serve answers /healthz, serves the inspector from its embedded files, and drains on SIGTERM', async () => {
    const started = performance.now();
    const hub = await serve('--log-level', 'warn');
    const health = await fetch(`${hub.url}/healthz`);
    const startMs = performance.now() - started;
    assert.equal(health.status, 200, await health.text());
    const page = await fetch(`${hub.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/);
    const script = await fetch(`${hub.url}/inspector.js`);
    assert.equal(script.status, 200);
    const size = statSync(bin).size;
    console.log(
      `# dist/switchboard: ${(size / 1024 / 1024).toFixed(1)} MB; serve → /healthz 200 in ${startMs.toFixed(0)} ms`,
    );
    await hub.stop();
    assert.match(hub.output(), /draining/);
  });

  it('serve on Redis: two binaries as one hub, through the engine bundled in the binary', async () => {
    redis = await RedisServer.start();
    const a = await serve('--engine', redis.url, '--log-level', 'warn');
    const b = await serve('--engine', redis.url, '--log-level', 'warn');
    const client = new Client(b.url, { transport: 'websocket' });
    try {
      const sub = client.subscribe('binary-redis');
      const arrived = new Promise<unknown>((resolve) => sub.on('message', (m) => resolve(m.data)));
      await sub.ready();
      const res = await fetch(`${a.url}/api/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'binary-redis', data: { via: 'redis' } }),
      });
      assert.equal(res.status, 200, await res.text());
      assert.deepEqual(await arrived, { via: 'redis' });
    } finally {
      client.disconnect();
    }
  });

  it('bench loads a running hub with its bundled load generator (worker processes of the binary itself)', async () => {
    const hub = await serve('--log-level', 'warn');
    const r = spawnSync(
      bin,
      [
        'bench',
        '--target',
        hub.url,
        '--api-key',
        API_KEY,
        '--scenario',
        'fanout',
        '--transport',
        'ws',
        '--quick',
        '--subscribers',
        '20',
        '--fanout-sizes',
        '20',
        '--workers',
        '1',
        '--step-ms',
        '300',
      ],
      { env, encoding: 'utf8', timeout: 300_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /20\/20 subscribers live/);
    assert.match(r.stdout, /lost 0, duplicates 0/);
  });
});
