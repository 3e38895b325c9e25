// deploy/compose/compose.yaml: two hub nodes on Redis behind nginx. No image registry is reachable here, so the
// compose file is parsed (PyYAML, as compose tools read it) and checked against what the hub and nginx accept, and
// then the same topology is brought up without containers: a real redis-server, two `switchboard serve` processes
// with the compose file's environment, and a real nginx running deploy/compose/nginx.conf with the service names
// pointed at them. A subscriber through nginx gets every publication, whichever node each publish lands on.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RedisServer } from '@switchboard/test-helpers/redis-server';
import { until } from '@switchboard/test-helpers/wait';
import { Client } from '../../packages/client/src/index.ts';
import { loadConfig } from '../../packages/server/src/config/load.ts';
import { HubProcess } from '../helpers/hub-process.ts';
import { freePort, type RunningNginx, startNginxWith } from '../helpers/nginx.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const DIR = join(import.meta.dirname, '..', '..', 'deploy', 'compose');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  stop_grace_period?: string;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
}

// Debian's python3, where python3-yaml installs (a python3 earlier on the PATH may lack PyYAML).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const compose = JSON.parse(
  execFileSync(PYTHON, [
    '-c',
    'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))',
    join(DIR, 'compose.yaml'),
  ]).toString(),
) as { services: Record<string, Service> };
const nginxConf = readFileSync(join(DIR, 'nginx.conf'), 'utf8');
const hubs = ['hub-1', 'hub-2'] as const;
const FAIL_TIMEOUT_MS = Number(/fail_timeout=(\d+)s/.exec(nginxConf)?.[1]) * 1000;

describe('deploy/compose/compose.yaml', () => {
  it('has Redis, two hub nodes built from the Containerfile, and nginx in front on port 8080', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['hub-1', 'hub-2', 'nginx', 'redis']);
    for (const name of hubs) {
      const hub = compose.services[name]!;
      assert.ok(hub.build, `${name} is built`);
      assert.ok(existsSync(join(DIR, hub.build.context, hub.build.dockerfile)), 'the Containerfile is found');
      assert.ok(hub.depends_on && 'redis' in hub.depends_on, `${name} waits for Redis`);
    }
    assert.deepEqual(compose.services.nginx?.ports, ['8080:80']);
    const mount = compose.services.nginx?.volumes?.[0]?.split(':') ?? [];
    assert.ok(existsSync(join(DIR, mount[0] ?? '')), 'the nginx config it mounts exists');
  });

  it("gives every node the same valid configuration (the hub's own loader, strict about unknown variables)", () => {
    const [one, two] = hubs.map((h) => compose.services[h]!.environment ?? {});
    assert.deepEqual(one, two);
    const config = loadConfig({ env: one! });
    assert.equal(config.engine.url, 'redis://redis:6379');
    assert.equal(config.server.port, 8080, 'the port nginx.conf sends to');
    assert.ok(config.api.keys.length === 1);
    const grace = Number.parseInt(compose.services['hub-1']!.stop_grace_period ?? '0', 10) * 1000;
    assert.ok(grace > config.server.shutdownTimeoutMs, 'stop_grace_period is longer than the drain');
  });

  it("nginx.conf sends to both nodes, on the hub's port", () => {
    const upstream = [...nginxConf.matchAll(/^\s*server ([\w.-]+:\d+)[^;]*;/gm)].map((m) => m[1]);
    assert.deepEqual(upstream, ['hub-1:8080', 'hub-2:8080']);
  });

  describe('the same topology without containers', () => {
    let redis: RedisServer;
    const nodes: HubProcess[] = [];
    let nginx: RunningNginx;
    let env: Record<string, string>;
    before(async () => {
      redis = await RedisServer.start();
      const { SWITCHBOARD_ENGINE: _engine, ...rest } = compose.services['hub-1']!.environment ?? {};
      env = rest;
      for (let i = 0; i < 2; i++) nodes.push(await HubProcess.start(redis.url, [], env));
      const port = await freePort();
      const conf = nginxConf
        .replace('server hub-1:8080', `server 127.0.0.1:${nodes[0]!.port}`)
        .replace('server hub-2:8080', `server 127.0.0.1:${nodes[1]!.port}`)
        .replace('listen 80;', `listen 127.0.0.1:${port};`);
      nginx = await startNginxWith(conf, [port]);
    });
    after(async () => {
      await nginx?.stop();
      for (const n of nodes) await n.stop();
      await redis?.stop();
    });

    it('a WebSocket and an SSE subscriber through nginx get every publication, from either node', async () => {
      const ws = await WsTestClient.connect(`${nginx.httpUrl.replace('http', 'ws')}/ws`);
      await ws.request({ type: 'subscribe', channel: 'compose' });
      const sse = await SseTestClient.open(`${nginx.httpUrl}/sse?channel=compose`);
      await sse.waitFor((e) => e.event === 'subscribed');
      // nginx balances round robin: the publishes land on both nodes.
      for (let n = 1; n <= 6; n++) {
        const res = await fetch(`${nginx.httpUrl}/api/publish`, {
          method: 'POST',
          headers: { authorization: `Bearer ${env.SWITCHBOARD_API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ channel: 'compose', data: n }),
        });
        assert.equal(res.status, 200);
      }
      await ws.next((f) => f.type === 'message' && f.data === 6);
      await sse.waitFor((e) => e.event === 'message' && e.frame.data === 6);
      const wsData = ws.frames.filter((f) => f.type === 'message').map((f) => f.data);
      const sseData = sse.events.filter((e) => e.event === 'message').map((e) => e.frame.data);
      assert.deepEqual(wsData, [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(sseData, [1, 2, 3, 4, 5, 6]);
      await sse.close();
      await ws.close();
    });

    it('a rolling restart (A, then B) loses nothing: SDK clients resume through nginx on the other node', async () => {
      /** Publishes through nginx as a backend would: retried on a proxy error, made safe by the idempotency key. */
      const publish = async (n: number) => {
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(`${nginx.httpUrl}/api/publish`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${env.SWITCHBOARD_API_KEY}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({ channel: 'rolling', data: n, idempotencyKey: `rolling-${n}` }),
          }).catch(() => null);
          if (res?.status === 200) return;
          assert.ok(attempt < 150, `publish ${n}: ${res?.status}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const received = new Map<string, number[]>();
      const clients = (['websocket', 'sse'] as const).map((transport) => {
        const client = new Client(nginx.httpUrl, { transport, backoff: { minDelayMs: 50, maxDelayMs: 300 } });
        const got: number[] = [];
        received.set(transport, got);
        const sub = client.subscribe('rolling');
        sub.on('message', (m) => {
          got.push(m.data as number);
        });
        return { client, sub };
      });
      try {
        // Subscribed, not only connected: a publication made before the subscription is live is not owed to it.
        await until(
          () =>
            clients.every(({ client, sub }) => client.state === 'connected' && sub.state === 'subscribed'),
          () => 'both clients connected and subscribed',
        );
        let n = 0;
        for (const i of [0, 1]) {
          for (let k = 0; k < 3; k++) await publish(++n);
          const port = nodes[i]!.port;
          const stopping = nodes[i]!.stop(); // SIGTERM: the node drains
          for (let k = 0; k < 3; k++) await publish(++n); // meanwhile, on the other node
          await stopping;
          nodes[i] = await HubProcess.start(redis.url, ['--port', String(port)], env);
          // As the procedure in docs/deploy.md says: before the next node, let the proxy take this one back (nginx
          // marks a node that refused a connection as down for fail_timeout).
          await new Promise((r) => setTimeout(r, FAIL_TIMEOUT_MS + 500));
        }
        for (let k = 0; k < 3; k++) await publish(++n);
        const all = Array.from({ length: n }, (_, k) => k + 1);
        await until(
          () => [...received.values()].every((got) => got.length >= n),
          () => `every publication; got ${JSON.stringify(Object.fromEntries(received))}`,
          30_000,
        );
        for (const [transport, got] of received) assert.deepEqual(got, all, transport);
      } finally {
        for (const { client } of clients) client.disconnect();
      }
    });
  });
});
