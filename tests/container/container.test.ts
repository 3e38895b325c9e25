// The Containerfile as a user builds and runs it, with podman. No image registry is reachable here, so the base
// (the official Node.js image for users) is a Debian bookworm made with debootstrap from the machine's apt source,
// with Node and npm added, passed in as NODE_IMAGE (tests/helpers/container.ts; cached between runs). Then: the
// image's settings (non-root, port, health check, stop signal), the hub configured only through env, /healthz,
// the health check itself, a publish reaching a WebSocket and an SSE subscriber, and a drain on `podman stop`.
// Skipped, with the reason printed, only where podman cannot run a container at all.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { untilAsync } from '@switchboard/test-helpers/wait';
import { baseImage, ensureTools, podman, podmanUnusable } from '../helpers/container.ts';
import { freePort } from '../helpers/nginx.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const IMAGE = 'localhost/switchboard:container-test';
const API_KEY = 'container-test-key-0123456789';

ensureTools();
const p = podman();
const base = baseImage(p);
const unusable = podmanUnusable(p, base);
if (unusable !== null) console.log(`# container tier skipped: ${unusable}`);

describe('the container image (Containerfile)', { skip: unusable ?? false }, () => {
  const name = `switchboard-test-${randomBytes(4).toString('hex')}`;
  let url = '';
  let port = 0;

  before(() => {
    const started = performance.now();
    p.run(
      [
        'build',
        '--layers=false',
        '--format',
        'docker', // keeps HEALTHCHECK (the OCI format has no field for it)
        '--network=host',
        '--build-arg',
        `NODE_IMAGE=${base}`,
        '-t',
        IMAGE,
        '-f',
        join(ROOT, 'Containerfile'),
        ROOT,
      ],
      { timeoutMs: 1_500_000 },
    );
    console.log(
      `# image built in ${Math.round((performance.now() - started) / 1000)} s (vfs storage, shared machine)`,
    );
  });
  after(() => {
    p.try(['rm', '-f', '-t', '0', name]);
    p.try(['rmi', '-f', IMAGE]);
    p.try(['image', 'prune', '-f']);
  });

  it('runs as a non-root user, exposes 8080, checks /healthz, stops with SIGTERM', () => {
    const [info] = JSON.parse(p.run(['image', 'inspect', IMAGE])) as {
      Config: {
        User: string;
        ExposedPorts: Record<string, unknown>;
        StopSignal: string;
        Entrypoint: string[];
        Cmd: string[];
        Env: string[];
        Healthcheck?: { Test: string[] };
      };
      Healthcheck?: { Test: string[] };
    }[];
    assert.ok(info);
    assert.equal(info.Config.User, 'node');
    assert.deepEqual(Object.keys(info.Config.ExposedPorts), ['8080/tcp']);
    assert.equal(info.Config.StopSignal, 'SIGTERM');
    assert.deepEqual(info.Config.Cmd, ['serve']);
    // Podman puts it beside Config, Docker inside it.
    const health = info.Healthcheck ?? info.Config.Healthcheck;
    assert.match(health?.Test.join(' ') ?? '', /\/healthz/);
  });

  it('starts configured through env only and answers /healthz; its own health check passes', async () => {
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    p.run([
      'run',
      '-d',
      '--name',
      name,
      '--network=host',
      '-e',
      `SWITCHBOARD_SERVER_PORT=${port}`,
      '-e',
      `SWITCHBOARD_API_KEY=${API_KEY}`,
      '-e',
      'SWITCHBOARD_SERVER_SHUTDOWN_TIMEOUT=8s',
      IMAGE,
    ]);
    await untilAsync(
      async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok,
      () => `the container's /healthz; logs:\n${p.try(['logs', name]).stderr}`,
      30_000,
    );
    assert.equal(p.run(['exec', name, 'id', '-u']).trim(), '1000', 'the hub does not run as root');
    const check = p.try(['healthcheck', 'run', name]);
    assert.equal(check.status, 0, `podman healthcheck run: ${check.stdout}${check.stderr}`);
  });

  it('delivers a publish to a WebSocket and an SSE subscriber', async () => {
    const ws = await WsTestClient.connect(`ws://127.0.0.1:${port}/ws`);
    await ws.request({ type: 'subscribe', channel: 'container' });
    const sse = await SseTestClient.open(`${url}/sse?channel=container`);
    await sse.waitFor((e) => e.event === 'subscribed');
    const res = await fetch(`${url}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'container', data: { from: 'the host' } }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual((await ws.next((f) => f.type === 'message')).data, { from: 'the host' });
    assert.deepEqual((await sse.waitFor((e) => e.event === 'message')).frame.data, { from: 'the host' });
    await sse.close();
    await ws.close();
  });

  it('drains on podman stop: clients are told to reconnect, and the hub exits 0 before the stop time-out', async () => {
    const ws = await WsTestClient.connect(`ws://127.0.0.1:${port}/ws`);
    await ws.request({ type: 'subscribe', channel: 'container' });
    const started = Date.now();
    const stopped = new Promise<number | null>((resolve) => {
      const stop = spawn('podman', [...p.globalArgs, 'stop', '-t', '30', name], {
        env: p.env,
        stdio: 'ignore',
      });
      stop.once('exit', resolve);
    });
    await ws.closed();
    assert.equal(ws.closeCode, 4000, 'shutting down: reconnect elsewhere');
    assert.equal(await stopped, 0);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 25_000, `stopped by the drain, not killed at the time-out (${elapsed} ms)`);
    const state = JSON.parse(p.run(['inspect', name, '--format', '{{json .State}}'])) as {
      ExitCode: number;
      Status: string;
    };
    assert.equal(state.Status, 'exited');
    assert.equal(state.ExitCode, 0);
  });
});
