import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliWithin } from './redis-sentinel.ts';
import { freePort } from './redis-server.ts';
import { untilAsync } from './wait.ts';

/** One `redis-server --cluster-enabled yes` on a free port, with a free cluster bus port and a temp directory. */
class ClusterNode {
  readonly port: number;
  readonly #child: ChildProcess;

  private constructor(port: number, child: ChildProcess) {
    this.port = port;
    this.#child = child;
  }

  static async start(dir: string): Promise<ClusterNode> {
    const port = await freePort();
    const bus = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--cluster-port',
        String(bus),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '2000',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    const node = new ClusterNode(port, child);
    await untilAsync(
      async () => child.exitCode === null && (await cli(port, 'PING').catch(() => []))[0] === 'PONG',
      () => `cluster node on port ${port} to answer PING (exit code ${child.exitCode})`,
      10_000,
    );
    return node;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const gone = new Promise((r) => this.#child.once('exit', r));
    this.#child.kill('SIGKILL');
    await gone;
  }
}

/**
 * A real Redis Cluster of `count` masters and no replicas (`redis-cli --cluster create … --cluster-replicas 0`),
 * on free ports; `start` returns once every node says `cluster_state:ok`.
 */
export class RedisClusterSet {
  readonly nodes: readonly ClusterNode[];
  readonly #dir: string;

  private constructor(nodes: ClusterNode[], dir: string) {
    this.nodes = nodes;
    this.#dir = dir;
  }

  static async start(count = 3): Promise<RedisClusterSet> {
    const dir = await mkdtemp(join(tmpdir(), 'sb-cluster-'));
    const nodes: ClusterNode[] = [];
    const set = new RedisClusterSet(nodes, dir);
    try {
      for (let i = 0; i < count; i++) nodes.push(await ClusterNode.start(dir));
      const first = nodes[0] as ClusterNode;
      // `--cluster create` waits until every node has met the others over the cluster bus: seconds on a busy
      // machine (the unit tier runs its files in parallel), so it gets more than a plain command.
      await cliWithin(
        60_000,
        first.port,
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      );
      for (const n of nodes)
        await untilAsync(
          async () => (await cli(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
          () => `cluster node ${n.port} to see the cluster ok`,
          20_000,
        );
    } catch (err) {
      await set.stop();
      throw err;
    }
    return set;
  }

  /** `redis+cluster://` URL naming the first node only (the engine discovers the rest). */
  url(query = ''): string {
    return `redis+cluster://127.0.0.1:${this.nodes[0]?.port}${query}`;
  }

  /** The port of the master that owns `key`'s slot: the first node answers, or redirects (`MOVED`). */
  async ownerOf(key: string): Promise<number> {
    const first = this.nodes[0] as ClusterNode;
    const reply = (await cli(first.port, 'EXISTS', key))[0] ?? '';
    const moved = /MOVED \d+ [^:]+:(\d+)/.exec(reply);
    return moved === null ? first.port : Number(moved[1]);
  }

  /** Kills one node (SIGKILL). */
  async kill(port: number): Promise<void> {
    await this.nodes.find((n) => n.port === port)?.stop();
  }

  /**
   * Kills every pub/sub connection on every node again and again, on one kept connection per node, until the
   * returned function is called: subscribers are kept away for the whole time, not just for one reconnection.
   * Resolves (the stop function's promise) with how many connections were killed.
   */
  async storm(): Promise<() => Promise<number>> {
    let running = true;
    let killed = 0;
    const loops = await Promise.all(
      this.nodes.map(async (n) => {
        const socket = new Socket();
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.connect(n.port, '127.0.0.1', resolve);
        });
        let text = '';
        let waiting: (() => void) | undefined;
        socket.on('data', (chunk) => {
          text += chunk.toString('utf8');
          let end = text.indexOf('\r\n');
          while (end >= 0) {
            killed += Number(text.slice(1, end)) || 0;
            text = text.slice(end + 2);
            end = text.indexOf('\r\n');
            waiting?.();
          }
        });
        // Wrapped in an object: an async function returning the bare promise would wait for the loop to end.
        const loop = (async () => {
          while (running) {
            const replied = new Promise<void>((r) => {
              waiting = r;
            });
            socket.write('CLIENT KILL TYPE pubsub\r\n');
            await replied;
          }
          socket.destroy();
        })();
        return { loop };
      }),
    );
    return async () => {
      running = false;
      await Promise.all(loops.map((l) => l.loop));
      return killed;
    };
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) await n.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
