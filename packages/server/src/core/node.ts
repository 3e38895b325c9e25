import { randomUUID } from 'node:crypto';
import type {
  Engine,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  PublishResult,
  Resync,
} from '@switchboard/engine-kit';
import { type ClientInfo, channelError, type ServerFrame } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { Access } from '../auth/access.ts';
import { ANONYMOUS, type Authenticator, type Identity } from '../auth/types.ts';
import type { Config } from '../config/types.ts';
import { type Disconnect, SwitchboardError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Transport } from '../transport/types.ts';
import { type ChannelOptions, channelOptionsFrom } from './channel-options.ts';
import { highWaterFor } from './delivery/gate.ts';
import { Hub } from './hub.ts';
import { Session } from './session.ts';
import type { Subscription } from './subscription.ts';

/** How often live presence entries are re-added, as a fraction of their time to live. */
const PRESENCE_TTL_MS = 60_000;
const PRESENCE_REFRESH_MS = PRESENCE_TTL_MS / 3;

export interface NodeOptions {
  readonly engine: Engine;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly authenticator: Authenticator;
}

/**
 * The orchestrator: owns the engine, the hub and the sessions, and is the one place that turns a client's or a
 * backend's intent (publish, subscribe, presence, disconnect) into engine and hub calls.
 */
export class SwitchboardNode {
  readonly engine: Engine;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly hub: Hub;
  readonly channelOptions: (channel: string) => ChannelOptions;
  readonly authenticator: Authenticator;
  readonly access: Access;
  /** Bytes a connection may have queued before `latest` / `drop-oldest` subscriptions hold publications back. */
  readonly deliveryHighWater: number;
  readonly #sessions = new Map<string, Session>();
  readonly #byUser = new Map<string, Set<Session>>();
  readonly #brokerOps = new Map<string, Promise<void>>();
  #presenceTimer: NodeJS.Timeout | undefined;
  #draining = false;

  constructor(options: NodeOptions) {
    this.engine = options.engine;
    this.config = options.config;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.channelOptions = channelOptionsFrom(options.config);
    this.authenticator = options.authenticator;
    this.access = new Access(options.config, this.channelOptions);
    this.deliveryHighWater = highWaterFor(options.config.limits.maxOutgoingBytes);
    this.hub = new Hub({ onFanout: (n) => this.metrics.deliveries.inc(n) });
  }

  async start(): Promise<void> {
    await this.engine.broker.start({
      onPublication: (p) => this.hub.onPublication(p),
      onJoin: (channel, client) => this.hub.broadcast(channel, { type: 'join', channel, client }),
      onLeave: (channel, client) => this.hub.broadcast(channel, { type: 'leave', channel, client }),
      onResync: (channel, r) => this.#resynced(channel, r),
    });
    this.#presenceTimer = setInterval(() => this.#refreshPresence(), PRESENCE_REFRESH_MS);
    this.#presenceTimer.unref();
  }

  /** The engine caught a channel up from history; one it could not make whole is counted and logged. */
  #resynced(channel: string, r: Resync): void {
    const context = { channel, cause: r.cause, from: r.from, overflowed: r.overflowed };
    if (!r.recovered) {
      this.metrics.gapsUnfilled.inc();
      this.logger.warn({ ...context, reason: r.reason }, 'stream gap could not be filled from history');
    } else if (r.overflowed) {
      this.logger.info(context, 'live publications outran a catch-up from history; read them from history');
    } else {
      this.logger.debug(context, 'caught up from history');
    }
  }

  get draining(): boolean {
    return this.#draining;
  }

  // ---- Sessions ----

  get connectionCount(): number {
    return this.#sessions.size;
  }

  /** Whether one more connection fits under `server.maxConnections`. */
  hasRoom(): boolean {
    return !this.#draining && this.#sessions.size < this.config.server.maxConnections;
  }

  createSession(transport: Transport, identity: Identity = ANONYMOUS): Session {
    const session = new Session(this, transport, randomUUID(), identity);
    this.#sessions.set(session.id, session);
    this.#index(session, session.user);
    return session;
  }

  /** A session's user changed (its first `auth`): keeps disconnect-by-user finding it. */
  identified(session: Session, previousUser: string | null): void {
    this.#unindex(session, previousUser);
    this.#index(session, session.user);
  }

  unregister(session: Session): void {
    this.#sessions.delete(session.id);
    this.#unindex(session, session.user);
  }

  #index(session: Session, user: string | null): void {
    if (user === null) return;
    const set = this.#byUser.get(user);
    if (set === undefined) this.#byUser.set(user, new Set([session]));
    else set.add(session);
  }

  #unindex(session: Session, user: string | null): void {
    if (user === null) return;
    const set = this.#byUser.get(user);
    set?.delete(session);
    if (set?.size === 0) this.#byUser.delete(user);
  }

  /** Bytes queued on every connection of this node and not yet sent: the hub's outgoing memory. */
  outgoingBytes(): number {
    let total = 0;
    for (const s of this.#sessions.values()) total += s.transport.writableBytes;
    return total;
  }

  sessions(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** Ends the matching connections on this node; returns how many. */
  disconnect(target: { client?: string; user?: string }, d: Disconnect): number {
    const matches: Session[] = [];
    if (target.client !== undefined) {
      const s = this.#sessions.get(target.client);
      if (s !== undefined && (target.user === undefined || s.user === target.user)) matches.push(s);
    } else if (target.user !== undefined) {
      matches.push(...(this.#byUser.get(target.user) ?? []));
    }
    for (const s of matches) s.disconnect(d);
    return matches.length;
  }

  // ---- Channels ----

  /**
   * Whether `user` may subscribe to `channel` now, by its namespace: anonymous access, the subscriber limit, and
   * whether the policy can honour a requested `rate`.
   * Throws the coded refusal. Both transports ask before subscribing (SSE before its stream starts).
   */
  admit(channel: string, rate?: number): void {
    const options = this.channelOptions(channel);
    if (rate !== undefined && options.delivery.policy === 'all')
      throw new SwitchboardError(
        'bad_request',
        'a rate needs a channel whose delivery policy is "latest" or "drop-oldest"',
      );
    if (options.maxSubscribers > 0 && this.hub.subscriberCount(channel) >= options.maxSubscribers)
      throw new SwitchboardError('channel_full', 'the channel has its most subscribers on this node');
  }

  /** Joins the hub; the first local subscriber of a channel subscribes the node through the broker. */
  async attach(sub: Subscription): Promise<void> {
    if (this.hub.add(sub)) this.#chain(sub.channel, () => this.engine.broker.subscribe(sub.channel));
    await this.#brokerOps.get(sub.channel);
  }

  detach(sub: Subscription): void {
    if (this.hub.remove(sub)) this.#chain(sub.channel, () => this.engine.broker.unsubscribe(sub.channel));
  }

  /** Broker subscribe/unsubscribe run one after another per channel, so the last call always wins. */
  #chain(channel: string, op: () => Promise<void>): void {
    const previous = this.#brokerOps.get(channel) ?? Promise.resolve();
    const next = previous.then(op, op).finally(() => {
      if (this.#brokerOps.get(channel) === next) this.#brokerOps.delete(channel);
    });
    next.catch((err: unknown) => this.logFailure('broker subscription change failed', err, { channel }));
    this.#brokerOps.set(channel, next);
  }

  /**
   * Validates and publishes. `data` is any JSON value, serialized here once, or a `Payload` serialized by the
   * caller (a broadcast serializes once for all its channels, and their histories share the one string).
   */
  async publish(
    channel: string,
    data: unknown,
    options: { idempotencyKey?: string; info?: ClientInfo },
    source: 'api' | 'client',
  ): Promise<PublishResult> {
    this.assertChannel(channel);
    const { json, bytes } = data instanceof Payload ? data : Payload.of(data);
    const channelOptions = this.channelOptions(channel);
    if (bytes > channelOptions.maxMessageBytes) {
      throw new SwitchboardError(
        'payload_too_large',
        `data is larger than ${channelOptions.maxMessageBytes} bytes`,
      );
    }
    const result = await this.engine.broker.publish(channel, json, {
      history: channelOptions.history,
      idempotencyTtlMs: this.config.idempotency.ttlMs,
      ...options,
    });
    if (!result.duplicate) this.metrics.publications.inc({ source });
    return result;
  }

  async history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    this.assertChannel(channel);
    const limit = Math.min(
      query.limit ?? this.config.limits.maxHistoryLimit,
      this.config.limits.maxHistoryLimit,
    );
    return this.engine.history.read(channel, { ...query, limit });
  }

  async presence(channel: string): Promise<PresenceEntry[]> {
    this.assertChannel(channel);
    if (!this.channelOptions(channel).presence)
      throw new SwitchboardError('forbidden', 'presence is off for this channel');
    return this.engine.presence.list(channel);
  }

  presenceJoin(channel: string, client: ClientInfo, announce: boolean): void {
    const work = async () => {
      await this.engine.presence.add(channel, client, PRESENCE_TTL_MS);
      if (announce) await this.engine.broker.publishJoin(channel, client);
    };
    work().catch((err: unknown) => this.logFailure('presence join failed', err, { channel }));
  }

  presenceLeave(channel: string, client: ClientInfo, announce: boolean): void {
    const work = async () => {
      await this.engine.presence.remove(channel, client.client);
      if (announce) await this.engine.broker.publishLeave(channel, client);
    };
    work().catch((err: unknown) => this.logFailure('presence leave failed', err, { channel }));
  }

  #refreshPresence(): void {
    for (const session of this.#sessions.values()) {
      for (const channel of session.channels()) {
        if (!this.channelOptions(channel).presence) continue;
        this.engine.presence
          .add(channel, session.clientInfo, PRESENCE_TTL_MS)
          .catch((err: unknown) => this.logFailure('presence refresh failed', err, { channel }));
      }
    }
  }

  assertChannel(channel: unknown): asserts channel is string {
    const problem = channelError(channel, this.config.limits.maxChannelLength);
    if (problem !== null) throw new SwitchboardError('invalid_channel', problem);
  }

  logFailure(message: string, err: unknown, context: Record<string, unknown>): void {
    if (err instanceof SwitchboardError && err.code !== 'internal') {
      this.logger.debug({ ...context, code: err.code }, message);
    } else {
      this.logger.error({ ...context, err }, message);
    }
  }

  // ---- Shutdown ----

  /** Stops taking connections and tells every client to reconnect elsewhere. */
  drain(d: Disconnect): void {
    this.#draining = true;
    for (const session of [...this.#sessions.values()]) session.disconnect(d);
  }

  async close(): Promise<void> {
    this.#draining = true;
    clearInterval(this.#presenceTimer);
    await this.engine.close();
  }
}

/** A payload serialized once: its JSON text and UTF-8 size. */
export class Payload {
  readonly json: string;
  readonly bytes: number;

  private constructor(json: string) {
    this.json = json;
    this.bytes = Buffer.byteLength(json);
  }

  /** Serializes `data`; refuses what JSON cannot carry (`undefined`, a function). */
  static of(data: unknown): Payload {
    const json = JSON.stringify(data);
    if (json === undefined) throw new SwitchboardError('bad_request', 'data must be a JSON value');
    return new Payload(json);
  }
}
