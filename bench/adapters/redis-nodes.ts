// Switchboard over the Redis engine, as the suite's `switchboard-redis` (one node) and `switchboard-redis-x3`
// (three nodes) targets: a private redis-server on a free port, then the hub node(s) over it. Everything runs on
// the hub's core when pinned, so one node and three nodes are measured on the same hardware and the difference
// is what crossing nodes costs. Publications go through the first node; the suite spreads subscribers over all.

import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort, type Pinning, type Started, startProcess, waitHealthy } from '../process.ts';

/** Why the Redis targets cannot run here, or undefined. */
export function redisAvailable(): string | undefined {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'redis-server not found (apt-get install redis-server)';
}

async function waitRedis(port: number, p: Started): Promise<void> {
  const end = performance.now() + 10_000;
  while (performance.now() < end && !p.exited()) {
    const pong = await new Promise<boolean>((resolve) => {
      const s = createConnection(port, '127.0.0.1', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      s.once('error', () => resolve(false));
    });
    if (pong) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer on port ${port}: ${p.output().trim()}`);
}

export interface MultiStarted extends Started {
  /** The nodes after the first, for subscribers. */
  nodes: Array<{ host: string; port: number }>;
}

/** Starts redis-server and `count` hub nodes; the first listens on `port`. */
export async function startRedisHub(
  count: number,
  port: number,
  apiKey: string,
  pin: Pinning,
  node: string,
  nodeFlags: readonly string[],
  hubBin: string,
): Promise<MultiStarted> {
  const redisPort = await freePort();
  const redis = startProcess(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    pin,
  );
  const started: Started[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.stop()));
    await redis.stop();
  };
  try {
    await waitRedis(redisPort, redis);
    const ports = [port, ...(await Promise.all(Array.from({ length: count - 1 }, () => freePort())))];
    for (const p of ports) {
      const hub = startProcess(
        node,
        [
          ...nodeFlags,
          hubBin,
          'serve',
          '--port',
          String(p),
          '--api-key',
          apiKey,
          '--log-level',
          'warn',
          '--engine',
          `redis://127.0.0.1:${redisPort}`,
        ],
        pin,
      );
      started.push(hub);
      if (!(await waitHealthy(p, 15_000, hub, '/readyz')))
        throw new Error(`node on port ${p} did not become ready: ${hub.output().trim() || '(no output)'}`);
    }
    const first = started[0]!;
    return {
      pid: first.pid,
      output: () => started.map((s) => s.output()).join('\n'),
      exited: () => started.some((s) => s.exited()) || redis.exited(),
      stop: stopAll,
      nodes: ports.slice(1).map((p) => ({ host: '127.0.0.1', port: p })),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
