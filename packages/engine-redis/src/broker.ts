import {
  type Broker,
  type BrokerHandler,
  EngineError,
  type HistoryStore,
  type PublishOptions,
  type PublishResult,
  Sequencer,
} from '@switchboard/engine-kit';
import { type ClientInfo, newEpoch } from '@switchboard/protocol';
import { decodeMessage, decodePublication, encodeMember } from './codec.ts';
import type { Commands } from './commands.ts';
import { unavailable, within } from './connection.ts';
import { channelKeys, channelOfPubsub } from './keys.ts';
import type { Link } from './link.ts';
import type { ReplicaWait } from './replicas.ts';
import { PUBLISH, RELEASE } from './scripts.ts';

/**
 * The publish script's keys and arguments for one publication. `command` is how it goes live, or '' for pending
 * until `RELEASE` (`waitReplicas`). `target` is the pub/sub channel it goes out on: the channel's own, unless a
 * test sends it where no node listens.
 */
export function publishCall(
  prefix: string,
  channel: string,
  data: string,
  options: PublishOptions,
  command: 'SPUBLISH' | 'PUBLISH' | '',
  target: string = channelKeys(prefix, channel).pubsub,
): { keys: string[]; args: string[] } {
  const k = channelKeys(prefix, channel);
  const key = options.idempotencyKey;
  return {
    keys: [k.meta, k.stream, key === undefined ? k.idem : k.idem + key, k.pending],
    args: [
      newEpoch(),
      data,
      options.info === undefined ? '' : JSON.stringify(options.info),
      String(options.history.size),
      String(Math.max(1, options.history.ttlMs)),
      String(Math.max(1, options.history.metaTtlMs)),
      key === undefined ? '0' : String(Math.max(1, options.idempotencyTtlMs ?? 300_000)),
      target,
      command,
    ],
  };
}

/** The publish script's reply: `[duplicate 0|1, the publication as codec.ts encodes it]`. */
export function publishResult(channel: string, reply: unknown): PublishResult {
  const [duplicate, encoded] = Array.isArray(reply) ? reply : [];
  const publication = typeof encoded === 'string' ? decodePublication(channel, encoded) : undefined;
  if (publication === undefined) throw new EngineError('unexpected reply from Redis');
  return { publication, duplicate: Number(duplicate) === 1 };
}

export interface RedisBrokerOptions {
  readonly prefix: string;
  /** Sharded pub/sub (SSUBSCRIBE/SPUBLISH) or plain (SUBSCRIBE/PUBLISH). */
  readonly sharded: boolean;
  readonly timeoutMs: number;
  /**
   * With `waitReplicas`: publishes go over `commands` (a connection of their own, see replicas.ts), and each is
   * released live (`RELEASE`, in offset order) only once `wait` confirms the replicas hold it. `cluster`: WAITs
   * are routed per channel.
   */
  readonly replicated?: {
    readonly commands: Commands;
    readonly wait: ReplicaWait;
    readonly cluster: boolean;
  };
}

/**
 * Publications between nodes: the publish script (scripts.ts) assigns the position, appends to the stream and
 * publishes on the channel's pub/sub channel in one atomic step (with `waitReplicas`, the publish waits until
 * replicas hold it: `replicated`); each node listens on a connection of its own to the channels it has local
 * subscribers for.
 *
 * node-redis resubscribes the channels it holds by itself after a reconnection; this class keeps the channels
 * the hub asked for (`#wanted`), subscribes any that could not be subscribed while Redis was away (or all of
 * them, when a Sentinel failover moved the link to a new client), and then has its `Sequencer` hand the hub
 * what the lost connection missed. Everything that arrives goes through the sequencer, which fills any gap
 * from the stream before handing on anything later: Redis pub/sub is at most once.
 */
export class RedisBroker implements Broker {
  readonly #cmd: Commands;
  readonly #sub: Link;
  readonly #options: RedisBrokerOptions;
  readonly #history: HistoryStore;
  readonly #sequencer: Sequencer;
  #handler: BrokerHandler | undefined;
  readonly #guard: () => void;
  /** Channels with local subscribers. */
  readonly #wanted = new Set<string>();
  /** Channels subscribed on the subscriber connection (node-redis keeps them across reconnections). */
  readonly #held = new Set<string>();
  /** Subscribe commands in flight, so concurrent calls share one. */
  readonly #holding = new Map<string, Promise<void>>();
  readonly #publishCommand: 'SPUBLISH' | 'PUBLISH';

  readonly #listener = (message: string, name: string): void => {
    const channel = channelOfPubsub(this.#options.prefix, name);
    if (channel === undefined) return;
    let decoded: ReturnType<typeof decodeMessage>;
    try {
      decoded = decodeMessage(channel, message);
    } catch {
      return; // not ours (another writer on our prefix): nothing a subscriber could use
    }
    if (decoded === undefined) return;
    if (decoded.kind === 'publication') return this.#sequencer.offer(decoded.publication);
    if (!this.#sequencer.watching(channel)) return;
    if (decoded.kind === 'join') this.#handler?.onJoin(channel, decoded.client);
    else this.#handler?.onLeave(channel, decoded.client);
  };

  constructor(
    cmd: Commands,
    sub: Link,
    history: HistoryStore,
    options: RedisBrokerOptions,
    guard: () => void,
  ) {
    this.#cmd = cmd;
    this.#sub = sub;
    this.#history = history;
    this.#options = options;
    this.#guard = guard;
    this.#sequencer = new Sequencer(history);
    this.#publishCommand = options.sharded ? 'SPUBLISH' : 'PUBLISH';
  }

  /**
   * Called by the engine when the subscriber connection is back after a loss. `fresh`: it is a new connection
   * (Sentinel moved to a new master), so nothing is subscribed on it yet.
   */
  async reconnected(fresh: boolean): Promise<void> {
    if (fresh) {
      this.#held.clear();
      this.#holding.clear();
    }
    await Promise.allSettled([...this.#wanted].filter((c) => !this.#held.has(c)).map((c) => this.#hold(c)));
    this.#sequencer.resync();
  }

  async start(handler: BrokerHandler): Promise<void> {
    this.#guard();
    this.#handler = handler;
    this.#sequencer.output = handler;
  }

  async publish(channel: string, data: string, options: PublishOptions): Promise<PublishResult> {
    this.#guard();
    const replicated = this.#options.replicated;
    // With `waitReplicas` the script publishes nothing: the publication is pending until replicas hold it.
    const call = publishCall(
      this.#options.prefix,
      channel,
      data,
      options,
      replicated === undefined ? this.#publishCommand : '',
    );
    const result = publishResult(
      channel,
      await (replicated?.commands ?? this.#cmd).run(PUBLISH, call.keys, call.args),
    );
    if (replicated !== undefined) {
      const k = channelKeys(this.#options.prefix, channel);
      await replicated.wait.confirm(k.meta, replicated.cluster ? k.meta : '');
      // Live only now, so no subscriber is handed a publication a failover could still lose. A duplicate
      // releases its first attempt, if that one was never confirmed.
      const { epoch, offset } = result.publication;
      await replicated.commands.run(
        RELEASE,
        [k.meta, k.pending],
        [epoch, String(offset), this.#publishCommand, k.pubsub],
      );
    }
    return result;
  }

  publishJoin(channel: string, client: ClientInfo): Promise<void> {
    return this.#announce(channel, encodeMember('join', client));
  }

  publishLeave(channel: string, client: ClientInfo): Promise<void> {
    return this.#announce(channel, encodeMember('leave', client));
  }

  async #announce(channel: string, message: string): Promise<void> {
    this.#guard();
    const name = channelKeys(this.#options.prefix, channel).pubsub;
    await this.#cmd.command([this.#publishCommand, name, message], name);
  }

  async subscribe(channel: string): Promise<void> {
    this.#guard();
    this.#wanted.add(channel);
    this.#sequencer.watch(channel);
    await this.#hold(channel);
    try {
      // Where catch-up starts if the connection breaks before any publication arrives.
      this.#sequencer.notePosition(channel, await this.#history.top(channel));
    } catch {
      // Redis went away just now: resync after the reconnection starts from the first publication seen.
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    this.#wanted.delete(channel);
    this.#sequencer.unwatch(channel);
    if (!this.#held.delete(channel)) return;
    // Not awaited: node-redis queues pub/sub commands while disconnected, and a broker call must not hang. A stray
    // message for the channel meanwhile is ignored (it is no longer watched).
    this.#pubsub('unsubscribe', channel).catch(() => {});
  }

  #pubsub(op: 'subscribe' | 'unsubscribe', channel: string): Promise<unknown> {
    const name = channelKeys(this.#options.prefix, channel).pubsub;
    let client: Link['pubsub'];
    try {
      client = this.#sub.pubsub;
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#options.sharded)
      return op === 'subscribe'
        ? client.sSubscribe(name, this.#listener)
        : client.sUnsubscribe(name, this.#listener);
    return op === 'subscribe'
      ? client.subscribe(name, this.#listener)
      : client.unsubscribe(name, this.#listener);
  }

  /** Subscribes the connection to the channel, failing fast while it is down (node-redis would queue it). */
  async #hold(channel: string): Promise<void> {
    if (this.#held.has(channel)) return;
    let pending = this.#holding.get(channel);
    if (pending === undefined) {
      if (!this.#sub.isReady) throw new EngineError('the Redis subscriber connection is down');
      pending = this.#pubsub('subscribe', channel).then(
        () => {
          this.#holding.delete(channel);
          if (this.#wanted.has(channel)) this.#held.add(channel);
          else this.#pubsub('unsubscribe', channel).catch(() => {}); // unsubscribed meanwhile: undo
        },
        (err: unknown) => {
          this.#holding.delete(channel);
          throw unavailable(err);
        },
      );
      this.#holding.set(channel, pending);
      pending.catch(() => {}); // a late failure after `within` gave up must not go unhandled
    }
    await within(pending, this.#options.timeoutMs, 'a subscribe');
  }

  async close(): Promise<void> {
    this.#wanted.clear();
    this.#held.clear();
    this.#sequencer.clear();
  }
}
