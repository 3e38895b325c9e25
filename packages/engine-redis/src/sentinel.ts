import { EngineError } from '@switchboard/engine-kit';
import { createClient } from 'redis';
import { backoff, type Client, connect, discard, open, unavailable, within } from './connection.ts';
import { type Link, LinkEvents, type PubSub } from './link.ts';
import type { RedisEngineOptions, RedisNode, SentinelTarget } from './options.ts';

/** How often a link asks the sentinels where the master is while nothing seems wrong (a partition, say). */
export const SENTINEL_CHECK_MS = 2_000;

/**
 * The longest a connection takes to follow a master the sentinels already name: it checks at once when it loses
 * its server, and every `SENTINEL_CHECK_MS` besides; a check (ask a sentinel, connect, `ROLE`, each bounded by
 * `timeoutMs`) that fails is tried again after at most `reconnectMaxMs`. Two checks' worth.
 */
export function followWithinMs(options: Pick<RedisEngineOptions, 'timeoutMs' | 'reconnectMaxMs'>): number {
  return SENTINEL_CHECK_MS + 2 * 3 * options.timeoutMs + options.reconnectMaxMs;
}

const same = (a: RedisNode | undefined, b: RedisNode): boolean => a?.host === b.host && a.port === b.port;
const shown = (n: RedisNode): string => `${n.host}:${n.port}`;

/**
 * The sentinels of one master, asked in turn: `SENTINEL GET-MASTER-ADDR-BY-NAME` on one kept connection,
 * moving to the next sentinel when one does not answer or does not know the master. Concurrent questions
 * share one answer.
 */
export class Sentinels {
  readonly #target: SentinelTarget;
  readonly #options: RedisEngineOptions;
  #index = 0;
  #client: Client | undefined;
  #asking: Promise<RedisNode> | undefined;
  #closed = false;

  constructor(options: RedisEngineOptions, target: SentinelTarget) {
    this.#options = options;
    this.#target = target;
  }

  /** Where the sentinels say the master is now; rejects with `unavailable` when none of them answers. */
  master(): Promise<RedisNode> {
    this.#asking ??= this.#ask().finally(() => {
      this.#asking = undefined;
    });
    return this.#asking;
  }

  async #ask(): Promise<RedisNode> {
    const nodes = this.#target.sentinels;
    let failure: unknown;
    for (let tried = 0; tried < nodes.length && !this.#closed; tried++) {
      const node = nodes[this.#index % nodes.length] as RedisNode;
      try {
        if (this.#client === undefined || !this.#client.isReady) {
          if (this.#client !== undefined) discard(this.#client);
          this.#client = undefined;
          const client = sentinelClient(node, this.#options.timeoutMs);
          await open(client, this.#options);
          this.#client = client;
        }
        const reply = await within(
          this.#client.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.#target.master]),
          this.#options.timeoutMs,
          'a SENTINEL command',
        );
        if (Array.isArray(reply) && reply.length === 2)
          return { host: String(reply[0]), port: Number(reply[1]) };
        failure = new EngineError(`sentinel ${shown(node)} knows no master named "${this.#target.master}"`);
      } catch (err) {
        failure = err;
      }
      if (this.#client !== undefined) discard(this.#client);
      this.#client = undefined;
      this.#index++;
    }
    if (failure instanceof EngineError) throw failure;
    throw new EngineError(
      `no sentinel answered for master "${this.#target.master}" (${nodes.map(shown).join(', ')})`,
      { cause: failure },
    );
  }

  close(): void {
    this.#closed = true;
    if (this.#client !== undefined) discard(this.#client);
    this.#client = undefined;
  }
}

/** A connection to one sentinel; it does not reconnect by itself (`Sentinels` moves on to the next one). */
function sentinelClient(node: RedisNode, timeoutMs: number): Client {
  const client = createClient({
    disableOfflineQueue: true,
    socket: { host: node.host, port: node.port, connectTimeout: timeoutMs, reconnectStrategy: false },
  }) as unknown as Client;
  client.on('error', () => {}); // failures surface as rejected commands, which move on to the next sentinel
  return client;
}

/** Whether the server says it is a master (`ROLE`), so a demoted old master is never written to. */
async function isMaster(client: Client, timeoutMs: number): Promise<boolean> {
  const reply = await within(client.sendCommand(['ROLE']), timeoutMs, 'ROLE');
  return Array.isArray(reply) && String(reply[0]) === 'master';
}

/**
 * A connection to whichever server the sentinels name as master. node-redis keeps reconnecting to the address
 * it has; after any loss (and every `SENTINEL_CHECK_MS` besides) the link asks the sentinels where the master
 * is, and checks `ROLE` on the server it reached. If the master moved, it opens a new client to the new master
 * and drops the old one (`onReady(true)`: subscriptions must be made again). Until the master is confirmed the
 * link is not ready, so commands fail fast instead of reaching a replica.
 */
export class SentinelLink extends LinkEvents implements Link {
  readonly #options: RedisEngineOptions;
  readonly #name: string;
  readonly #sentinels: Sentinels;
  #client: Client | undefined;
  #node: RedisNode | undefined;
  #confirmed = false;
  #closed = false;
  /** A check is running; `#again` asks it to run once more (something happened meanwhile). */
  #checking = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RedisEngineOptions, name: string, sentinels: Sentinels) {
    super();
    this.#options = options;
    this.#name = name;
    this.#sentinels = sentinels;
  }

  get #current(): Client {
    if (this.#client === undefined) throw new EngineError('the Redis engine is not connected');
    return this.#client;
  }

  get pubsub(): PubSub {
    return this.#current;
  }

  send(args: readonly string[]): Promise<unknown> {
    // Until the master is confirmed (after a reconnection) the server may be a demoted one: fail fast instead.
    if (!this.isReady) return Promise.reject(new EngineError('the Redis master is not confirmed yet'));
    return this.#current.sendCommand([...args]);
  }

  get isReady(): boolean {
    return !this.#closed && this.#confirmed && this.#client?.isReady === true;
  }

  /** The master this link talks to now (for logs and tests). */
  get node(): RedisNode | undefined {
    return this.#node;
  }

  async open(): Promise<void> {
    const node = await this.#sentinels.master();
    const client = await this.#connectTo(node);
    this.#install(client, node);
    this.#timer = setInterval(() => this.#check(), SENTINEL_CHECK_MS);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#client !== undefined) discard(this.#client);
  }

  /** A new client on `node`, open and confirmed as master, or a rejection (and nothing left open). */
  async #connectTo(node: RedisNode): Promise<Client> {
    const client = connect(this.#options, this.#name, node);
    await open(client, this.#options);
    try {
      if (!(await isMaster(client, this.#options.timeoutMs)))
        throw new EngineError(`${shown(node)} is not a master (yet): the sentinels' view is changing`);
    } catch (err) {
      discard(client);
      throw unavailable(err);
    }
    return client;
  }

  #install(client: Client, node: RedisNode): void {
    const previous = this.#client;
    this.#client = client;
    this.#node = node;
    this.#confirmed = true;
    if (previous !== undefined) discard(previous);
    const current = () => this.#client === client && !this.#closed;
    this.watch(client, current, (reason) => {
      this.#confirmed = false;
      this.lost(reason);
      this.#check();
    });
    client.on('ready', () => {
      if (current()) this.#check();
    });
  }

  #check(): void {
    this.#again = true;
    if (this.#checking || this.#closed) return;
    this.#checking = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (this.#again && !this.#closed) {
      this.#again = false;
      let settled = false;
      try {
        settled = await this.#verify();
      } catch {
        settled = false; // sentinels or the new master unreachable: try again after a pause
      }
      if (settled) {
        attempt = 0;
        continue;
      }
      this.#again = true;
      await new Promise((r) => setTimeout(r, backoff(attempt++, this.#options.reconnectMaxMs)).unref());
    }
    this.#checking = false;
  }

  /** One look at the sentinels; true when the link is where it should be (or cannot do better now). */
  async #verify(): Promise<boolean> {
    const master = await this.#sentinels.master();
    if (this.#closed) return true;
    if (!same(this.#node, master)) {
      const client = await this.#connectTo(master);
      if (this.#closed) {
        discard(client);
        return true;
      }
      this.#install(client, master);
      this.ready(true);
      return true;
    }
    const client = this.#client;
    if (client === undefined || !client.isReady) return false; // node-redis is still reconnecting to it
    if (this.#confirmed) return true;
    if (!(await isMaster(client, this.#options.timeoutMs))) return false;
    if (this.#client !== client || this.#closed) return true;
    this.#confirmed = true;
    this.ready(false);
    return true;
  }
}
