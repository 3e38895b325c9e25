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

/** Waits until the server answers `command` with a reply that `ok` accepts (PING, by default). */
async function waitRedis(
  port: number,
  p: Started,
  command = 'PING',
  ok: (reply: string) => boolean = (r) => r.startsWith('+PONG'),
): Promise<void> {
  const end = performance.now() + 10_000;
  while (performance.now() < end && !p.exited()) {
    const good = await new Promise<boolean>((resolve) => {
      const s = createConnection(port, '127.0.0.1', () => s.write(`${command}\r\n`));
      s.once('data', (d) => {
        s.destroy();
        resolve(ok(d.toString()));
      });
      s.once('error', () => resolve(false));
    });
    if (good) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer ${command} as expected: ${p.output().trim()}`);
}

export interface MultiStarted extends Started {
  /** The nodes after the first, for subscribers. */
  nodes: Array<{ host: string; port: number }>;
}

/** How the Redis behind the hub is set up: a replica of it, and the engine URL's query string. */
export interface RedisSetup {
  /** Also start a replica (`--replicaof`), pinned like the rest. */
  readonly replica?: boolean;
  /** Appended to the engine URL, e.g. `?waitReplicas=1`. */
  readonly query?: string;
}

// Replication without files both ways (and without the 5 s diskless delay): nothing is written to the directory
// the suite runs in.
const redisArgs = (port: number) => [
  ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  ...['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', '--repl-diskless-load', 'swapdb'],
];

/** Starts redis-server (and a replica, if asked) and `count` hub nodes; the first listens on `port`. */
export async function startRedisHub(
  count: number,
  port: number,
  apiKey: string,
  pin: Pinning,
  node: string,
  nodeFlags: readonly string[],
  hubBin: string,
  setup: RedisSetup = {},
): Promise<MultiStarted> {
  const redisPort = await freePort();
  const redis = startProcess('redis-server', redisArgs(redisPort), pin);
  const servers: Started[] = [redis];
  const started: Started[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.stop()));
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    await waitRedis(redisPort, redis);
    if (setup.replica === true) {
      const replicaPort = await freePort();
      const replica = startProcess(
        'redis-server',
        [...redisArgs(replicaPort), '--replicaof', '127.0.0.1', String(redisPort)],
        pin,
      );
      servers.push(replica);
      // In sync before the hub starts: until then a WAIT could only time out.
      await waitRedis(replicaPort, replica, 'INFO replication', (r) => r.includes('master_link_status:up'));
    }
    const ports = [port, ...(await Promise.all(Array.from({ length: count - 1 }, () => freePort())))];
    const startNode = async (p: number, env: NodeJS.ProcessEnv = process.env): Promise<Started> => {
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
          `redis://127.0.0.1:${redisPort}${setup.query ?? ''}`,
        ],
        pin,
        env,
      );
      if (!(await waitHealthy(p, 15_000, hub, '/readyz')))
        throw new Error(`node on port ${p} did not become ready: ${hub.output().trim() || '(no output)'}`);
      return hub;
    };
    for (const p of ports) started.push(await startNode(p));
    const out: MultiStarted = {
      pid: started[0]!.pid,
      output: () => started.map((s) => s.output()).join('\n'),
      exited: () => started.some((s) => s.exited()) || servers.some((s) => s.exited()),
      stop: stopAll,
      nodes: ports.slice(1).map((p) => ({ host: '127.0.0.1', port: p })),
      // The reconnect storm: the first node stops (SIGTERM) and starts again on its port, over the same Redis, so
      // its channels' history survives. `env` is added to the node's environment (its configuration).
      stop1: async () => {
        await started[0]!.stop();
      },
      output1: () => (started[0]!.exited() ? `exited: ${started[0]!.output().trim()}` : undefined),
      start1: async (env: Record<string, string>) => {
        started[0] = await startNode(port, { ...process.env, ...env });
        out.pid = started[0].pid;
        return started[0].pid;
      },
    };
    return out;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
