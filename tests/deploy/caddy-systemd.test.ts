// deploy/caddy/Caddyfile in a real Caddy (Debian's caddy 2.6), and deploy/systemd/switchboard.service checked by
// systemd-analyze. Caddy runs the sample with its site address changed to plain http on a free port (no ACME here)
// and the hub's address; its admin API off (it would take the standard port 2019) and its data in a temp dir.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { untilAsync } from '@switchboard/test-helpers/wait';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { freePort } from '../helpers/nginx.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy');

describe('deploy/caddy/Caddyfile in Caddy', () => {
  let hub: TestHub;
  let caddy: ChildProcess;
  let url = '';
  let dir = '';
  let output = '';
  before(async () => {
    hub = await startTestHub();
    dir = mkdtempSync(join(tmpdir(), 'switchboard-caddy-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const sample = readFileSync(join(DEPLOY, 'caddy/Caddyfile'), 'utf8');
    assert.equal(sample.split('hub.example.com {').length, 2, 'one site block');
    assert.equal(sample.split('reverse_proxy 127.0.0.1:8080 {').length, 2, 'one upstream');
    const conf = `{\n\tadmin off\n}\n${sample
      .replace('hub.example.com {', `${url} {`)
      .replace('reverse_proxy 127.0.0.1:8080 {', `reverse_proxy 127.0.0.1:${hub.port} {`)}`;
    writeFileSync(join(dir, 'Caddyfile'), conf);
    caddy = spawn('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (d: Buffer) => {
      output += String(d);
    };
    caddy.stdout?.on('data', collect);
    caddy.stderr?.on('data', collect);
    await untilAsync(
      async () => {
        if (caddy.exitCode !== null) throw new Error(`caddy exited: ${output}`);
        return (await fetch(`${url}/healthz`).catch(() => null))?.ok;
      },
      () => `caddy serving ${url}: ${output.slice(-2000)}`,
      15_000,
    );
  });
  after(async () => {
    if (caddy !== undefined && caddy.exitCode === null) {
      const gone = new Promise((r) => caddy.once('exit', r));
      caddy.kill('SIGKILL'); // its graceful stop waits for proxied streams to end
      await gone;
    }
    await hub?.shutdown();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('proxies the API, a WebSocket upgrade, and SSE event by event', async () => {
    const ws = await WsTestClient.connect(`${url.replace('http', 'ws')}/ws`);
    await ws.request({ type: 'subscribe', channel: 'caddy' });
    const sse = await SseTestClient.open(`${url}/sse?channel=caddy`);
    await sse.waitFor((e) => e.event === 'subscribed');
    for (let n = 1; n <= 3; n++) {
      const res = await fetch(`${url}/api/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'caddy', data: n }),
      });
      assert.equal(res.status, 200);
      // Each event arrives before the next is published: nothing waits in a buffer.
      await sse.waitFor((e) => e.event === 'message' && e.frame.data === n, 2_000);
      await ws.next((f) => f.type === 'message' && f.data === n, 2_000);
    }
    await sse.close();
    await ws.close();
  });
});

describe('deploy/systemd/switchboard.service', () => {
  it('passes systemd-analyze verify with no warning (only the paths it names, absent here, replaced)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-systemd-'));
    try {
      const unit = readFileSync(join(DEPLOY, 'systemd/switchboard.service'), 'utf8');
      assert.match(unit, /^ExecStart=\/usr\/local\/bin\/switchboard serve$/m);
      assert.match(unit, /^KillSignal=SIGTERM$/m);
      writeFileSync(join(dir, 'env'), 'SWITCHBOARD_API_KEY=x\n');
      const path = join(dir, 'switchboard.service');
      writeFileSync(
        path,
        unit
          .replace('ExecStart=/usr/local/bin/switchboard serve', 'ExecStart=/bin/true serve')
          .replace('EnvironmentFile=/etc/switchboard/env', `EnvironmentFile=${join(dir, 'env')}`),
      );
      const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', 'no unknown key or bad value');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
