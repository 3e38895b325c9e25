import { EngineError } from '@switchboard/engine-kit';
import { createCluster, type RedisClusterType } from 'redis';
import { backoff, type Client, within } from './connection.ts';
import { type Link, LinkEvents, type PubSub } from './link.ts';
import type { RedisEngineOptions } from './options.ts';

type Cluster = RedisClusterType;

/**
 * A Redis Cluster through node-redis's cluster client: each command goes to the master of its first key's slot
 * (every key of a channel shares the `{channel}` hash tag, so a publish script stays on one slot), and each
 * sharded subscription to the master of the channel's slot, on a pub/sub connection node-redis keeps per master.
 *
 * node-redis reports a node connection's first `ready` only (`node-ready` is emitted once), so the link
 * watches every node and per-master pub/sub client it finds itself: each later `ready` of one of them is a
 * reconnection, after which node-redis has resubscribed that client's channels, and the engine catches up.
 */
export class ClusterLink extends LinkEvents implements Link {
  readonly #cluster: Cluster;
  readonly #options: RedisEngineOptions;
  readonly #watched = new WeakSet<Client>();
  #opened = false;
  #closed = false;

  constructor(options: RedisEngineOptions, name: string) {
    super();
    const target = options.cluster;
    if (target === undefined) throw new EngineError('not a Redis Cluster URL');
    this.#options = options;
    this.#cluster = createCluster({
      rootNodes: target.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })),
      useReplicas: false,
      defaults: {
        name,
        disableOfflineQueue: true,
        ...(target.username === undefined ? {} : { username: target.username }),
        ...(target.password === undefined ? {} : { password: target.password }),
        socket: {
          connectTimeout: options.timeoutMs,
          reconnectStrategy: (retries: number) => backoff(retries, options.reconnectMaxMs),
        },
      },
    }) as unknown as Cluster;
    this.#cluster.on('error', () => {}); // failures surface as rejected calls and `isReady`
    this.#cluster.on('node-error', (err: unknown) => {
      if (!this.#closed) this.lost(err instanceof Error ? err.message : 'error');
    });
    this.#cluster.on('node-reconnecting', () => {
      if (!this.#closed) this.lost('reconnecting');
    });
  }

  /** Every master connected (a command for a slot whose master is away would fail). */
  get isReady(): boolean {
    const masters = this.#cluster.masters;
    return (
      !this.#closed && this.#cluster.isOpen && masters.length > 0 && masters.every((m) => m.client?.isReady)
    );
  }

  get pubsub(): PubSub {
    const cluster = this.#cluster;
    const watched = <T>(p: Promise<T>): Promise<T> =>
      p.finally(() => {
        this.#watch(); // a first subscription on a shard opens that master's pub/sub client
      });
    return {
      sSubscribe: (channel, listener) => watched(cluster.sSubscribe(channel, listener)),
      sUnsubscribe: (channel, listener) => cluster.sUnsubscribe(channel, listener),
      subscribe: () => Promise.reject(new EngineError('plain pub/sub is not used with Redis Cluster')),
      unsubscribe: () => Promise.resolve(),
    };
  }

  send(args: readonly string[], key?: string): Promise<unknown> {
    return this.#cluster.sendCommand(key, false, [...args]);
  }

  async open(): Promise<void> {
    try {
      await within(this.#cluster.connect(), this.#options.timeoutMs, 'the cluster connection');
    } catch (err) {
      this.close();
      throw err instanceof EngineError
        ? err
        : new EngineError('cannot reach the Redis Cluster', { cause: err });
    }
    this.#opened = true;
    this.#watch();
  }

  /** Attaches a reconnection listener to every node client and pub/sub client not watched yet. */
  #watch(): void {
    for (const master of this.#cluster.masters) {
      for (const client of [master.client, master.pubSub?.client]) {
        if (client === undefined || this.#watched.has(client as unknown as Client)) continue;
        this.#watched.add(client as unknown as Client);
        let first = !client.isReady; // its first `ready` is the initial connection, not a reconnection
        client.on('ready', () => {
          if (first) {
            first = false;
            return;
          }
          if (this.#opened && !this.#closed) {
            this.#watch(); // topology may have changed: new clients to watch
            this.ready(false);
          }
        });
      }
    }
  }

  close(): void {
    this.#closed = true;
    try {
      this.#cluster.destroy();
    } catch {
      // never connected, or already closed
    }
  }
}
