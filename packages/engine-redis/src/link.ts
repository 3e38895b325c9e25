import { type Client, connect, discard, open } from './connection.ts';
import type { RedisEngineOptions } from './options.ts';

/**
 * One logical connection of the engine (commands, or the subscriber), whatever Redis it currently talks to. A
 * single Redis keeps one node-redis client for life (`DirectLink`); under Sentinel the client is replaced when
 * the master moves (`SentinelLink`, sentinel.ts), and whoever holds subscriptions must learn that they are gone.
 */
/** The pub/sub half of a link: a node-redis client, or a cluster (which routes each channel to its shard). */
export interface PubSub {
  sSubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  sUnsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
}

export interface Link {
  /** Sends one command; `key` (the first key it touches) picks the node in a cluster. */
  send(args: readonly string[], key?: string): Promise<unknown>;
  /** Where to subscribe now (replaced on a Sentinel failover: do not keep it). */
  readonly pubsub: PubSub;
  /** Connected to a Redis that takes writes, as far as the link knows. */
  readonly isReady: boolean;
  /** Connects, bounded by the timeout; rejects with `unavailable`. */
  open(): Promise<void>;
  /**
   * Called after every reconnection following `open` (never for the first connection). `fresh`: the link now
   * uses a new client, so pub/sub subscriptions were not carried over; otherwise node-redis resubscribed them.
   */
  onReady(listener: (fresh: boolean) => void): void;
  /** Called when the connection is lost (once per event node-redis reports; callers deduplicate). */
  onLost(listener: (reason: string) => void): void;
  /** Drops the connection now (no waiting for replies: a down Redis must not stall shutdown). */
  close(): void;
}

/** Listener lists shared by both kinds of link. */
export class LinkEvents {
  readonly #ready: ((fresh: boolean) => void)[] = [];
  readonly #lost: ((reason: string) => void)[] = [];

  onReady(listener: (fresh: boolean) => void): void {
    this.#ready.push(listener);
  }

  onLost(listener: (reason: string) => void): void {
    this.#lost.push(listener);
  }

  ready(fresh: boolean): void {
    for (const l of this.#ready) l(fresh);
  }

  lost(reason: string): void {
    for (const l of this.#lost) l(reason);
  }

  /** Wires a client's node-redis events to `lost` (the caller decides what its `ready` means). */
  watch(client: Client, isCurrent: () => boolean, lost: (reason: string) => void): void {
    client.on('error', (err: unknown) => {
      if (isCurrent()) lost(err instanceof Error ? err.message : 'error');
    });
    client.on('end', () => {
      if (isCurrent()) lost('closed');
    });
    client.on('reconnecting', () => {
      if (isCurrent()) lost('reconnecting');
    });
  }
}

/** A single Redis at a fixed address: node-redis reconnects and resubscribes by itself. */
export class DirectLink extends LinkEvents implements Link {
  readonly client: Client;
  readonly #options: RedisEngineOptions;
  #opened = false;

  constructor(options: RedisEngineOptions, name: string) {
    super();
    this.#options = options;
    this.client = connect(options, name);
    this.watch(
      this.client,
      () => true,
      (reason) => this.lost(reason),
    );
    // The first `ready` comes while `open` runs; every later one is a reconnection.
    this.client.on('ready', () => {
      if (this.#opened) this.ready(false);
    });
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  get pubsub(): PubSub {
    return this.client;
  }

  send(args: readonly string[]): Promise<unknown> {
    return this.client.sendCommand([...args]);
  }

  async open(): Promise<void> {
    await open(this.client, this.#options);
    this.#opened = true;
  }

  close(): void {
    discard(this.client);
  }
}
