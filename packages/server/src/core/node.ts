import { randomUUID } from 'node:crypto';
import {
  base64Of,
  type Engine,
  type HistoryQuery,
  type HistoryResult,
  MemoryOccupancy,
  type OccupancyStore,
  type PresenceEntry,
  type PublishOptions,
  type PublishResult,
  type Resync,
} from '@switchboard/engine-kit';
import { type ClientInfo, channelError, type SubscribedFrame } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { Access } from '../auth/access.ts';
import { ANONYMOUS, type Authenticator, type Identity } from '../auth/types.ts';
import type { Config } from '../config/types.ts';
import { type Disconnect, SwitchboardError, toSwitchboardError } from '../errors.ts';
import { OutgoingBudget } from '../limits/outgoing-budget.ts';
import type { Metrics } from '../observability/metrics.ts';
import { tracePublish, tracingEnabled } from '../observability/tracing.ts';
import type { Hooks } from '../proxy/hooks.ts';
import type { Transport } from '../transport/types.ts';
import { NO_WEBHOOKS, type WebhookSink } from '../webhooks/events.ts';
import { HISTORY_BUDGET_SPENT, historyBytes, startingPoint } from './catch-up.ts';
import { type ChannelOptions, channelOptionsFrom } from './channel-options.ts';
import { effectiveRate, highWaterFor } from './delivery/gate.ts';
import type { Member, SessionHost, SubscribeRequest } from './host.ts';
import { Hub } from './hub.ts';
import { Payload } from './payload.ts';
import { prepareAll } from './prepared.ts';
import { errorFrame, type ReplySink } from './reply.ts';
import { Session, withChannelInfo } from './session.ts';
import { Sessions } from './sessions.ts';
import { Subscription } from './subscription.ts';

/** What a publish may carry besides its data. */
export interface PublishRequestOptions {
  readonly idempotencyKey?: string;
  readonly info?: ClientInfo;
}

/** Who published, for `switchboard_published_total`. */
export type PublishSource = 'api' | 'client' | 'admin';

/** How often live presence entries are re-added, as a fraction of their time to live. */
const PRESENCE_TTL_MS = 60_000;
const PRESENCE_REFRESH_MS = PRESENCE_TTL_MS / 3;
/** A node's occupancy entries live as long as presence entries, and are re-added on the same timer. */
const OCCUPANCY_TTL_MS = PRESENCE_TTL_MS;

export interface NodeOptions {
  readonly engine: Engine;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly authenticator: Authenticator;
  readonly hooks: Hooks;
  /** Where webhook events go (none by default). */
  readonly webhooks?: WebhookSink;
}

/**
 * The orchestrator: owns the engine, the hub and the sessions, and is the one place that turns a client's or a
 * backend's intent (publish, subscribe, presence, disconnect) into engine and hub calls. Sessions see it through
 * `SessionHost` only.
 */
export class SwitchboardNode implements SessionHost {
  readonly engine: Engine;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly hub: Hub;
  readonly channelOptions: (channel: string) => ChannelOptions;
  readonly authenticator: Authenticator;
  readonly access: Access;
  readonly hooks: Hooks;
  /** Bytes a connection may have queued before `latest` / `drop-oldest` subscriptions hold publications back. */
  readonly deliveryHighWater: number;
  /** This node's name in the cluster's occupancy store. */
  readonly nodeId = randomUUID();
  /** The hub-wide budget for bytes queued on connections (`limits.maxTotalOutgoingBytes`); transports report to it. */
  readonly outgoing: OutgoingBudget;
  readonly #sessions = new Sessions();
  readonly #brokerOps = new Map<string, Promise<void>>();
  readonly #webhooks: WebhookSink;
  /** Set when occupancy events are wanted: the engine's cluster-wide store, else this node's own. */
  readonly #occupancy: OccupancyStore | null;
  readonly #occupancyOps = new Map<string, Promise<void>>();
  /** The engine's publish options of each channel options, for publishes with no key and no client info. */
  readonly #commonPublishOptions = new WeakMap<ChannelOptions, PublishOptions>();
  #presenceTimer: NodeJS.Timeout | undefined;
  #draining = false;
  /** Held publications a `latest` gate replaced, and ones a `drop-oldest` gate dropped (its queue full). */
  readonly #conflated = (n: number): void => this.metrics.dropped.inc({ reason: 'conflated' }, n);
  readonly #droppedOldest = (n: number): void => this.metrics.dropped.inc({ reason: 'queue_full' }, n);

  constructor(options: NodeOptions) {
    this.engine = options.engine;
    this.config = options.config;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.channelOptions = channelOptionsFrom(options.config);
    this.authenticator = options.authenticator;
    this.hooks = options.hooks;
    this.#webhooks = options.webhooks ?? NO_WEBHOOKS;
    const occupancy = this.#webhooks.wants('channel_occupied') || this.#webhooks.wants('channel_vacated');
    this.#occupancy = occupancy ? (options.engine.occupancy ?? new MemoryOccupancy()) : null;
    this.access = new Access(options.config, this.channelOptions);
    this.deliveryHighWater = highWaterFor(options.config.limits.maxOutgoingBytes);
    this.outgoing = new OutgoingBudget(options.config.limits.maxTotalOutgoingBytes);
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

  /** Whether one more connection fits: under `server.maxConnections`, and the hub under its outgoing budget. */
  hasRoom(): boolean {
    return !this.#draining && this.#sessions.size < this.config.server.maxConnections && !this.outgoing.full;
  }

  /** A session on `transport`; its id is `id` when the dialect has a format of its own for it (Pusher's socket ids). */
  createSession(
    transport: Transport,
    identity: Identity = ANONYMOUS,
    id: string = randomUUID(),
    headers: Readonly<Record<string, string>> = {},
  ): Session {
    const session = new Session(this, transport, id, identity, headers);
    this.#sessions.add(session);
    return session;
  }

  identified(sessionId: string, previousUser: string | null): void {
    this.#sessions.identified(sessionId, previousUser);
  }

  unregister(sessionId: string, user: string | null = null, reason = 'closed'): void {
    this.#sessions.remove(sessionId);
    if (this.#webhooks.wants('connection_closed'))
      this.#webhooks.emit({ name: 'connection_closed', client: sessionId, user, reason });
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
    return this.#sessions.disconnect(target, d);
  }

  // ---- Channels ----

  /**
   * Whether a subscriber may join `channel` now, by its namespace: the subscriber limit, and whether the policy
   * can honour a requested `rate`. Throws the coded refusal. SSE asks before its stream starts; `join` again.
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

  /**
   * The subscribe orchestration. Joins the hub _first_ (the broker subscribes the node on the channel's first
   * local subscriber), so nothing published from then on is missed, then reads where the subscriber starts
   * (its resume position, or the last value); `subscribed` is answered with the stream's position, the missed
   * publications are written, then whatever arrived live meanwhile, with no gap and no duplicate. Where the
   * namespace has presence, the subscriber joins it. `since: null` means the client asked to resume from a
   * position that could not be read: `recovered: false`.
   */
  async join(member: Member, request: SubscribeRequest, reply: ReplySink): Promise<boolean> {
    const { channel, id, since, rate } = request;
    const refuse = (err: unknown): false => {
      const e = toSwitchboardError(err);
      reply.reply(errorFrame(id, e.code, e.message, channel));
      return false;
    };
    try {
      this.admit(channel, rate);
    } catch (err) {
      return refuse(err);
    }
    // A resume reads history: only within the member's read budget, refused (retry later) before anything is read.
    if (since != null && !member.mayReadHistory()) {
      this.metrics.rateLimited.inc({ limit: 'history' });
      return refuse(new SwitchboardError('too_many_requests', HISTORY_BUDGET_SPENT));
    }
    const options = this.channelOptions(channel);
    const { delivery } = options;
    const effective = effectiveRate(delivery.maxRate, rate);
    const sub = new Subscription(channel, member, {
      gate:
        delivery.policy === 'all'
          ? null
          : {
              policy: delivery.policy,
              conflateKey: delivery.conflateKey,
              queueSize: delivery.queueSize,
              rate: effective,
              highWater: this.deliveryHighWater,
              onDropped: delivery.policy === 'latest' ? this.#conflated : this.#droppedOldest,
            },
      skipOwn: !options.echo || request.noEcho === true,
      highWater: this.deliveryHighWater,
    });
    member.hold(sub);
    try {
      await this.#attach(sub);
      const start = await startingPoint(this.engine.history, channel, since, options.lastValue);
      member.readHistory(historyBytes(start.missed));
      if (!member.open) return false;
      if (sub.state !== 'subscribing') {
        // Unsubscribed (or overflowed) before the subscription completed: the subscribe still gets its answer.
        return refuse(new SwitchboardError('not_subscribed', 'the subscription ended before it completed'));
      }
      member.resumeFrom(channel, start.start);
      const frame: SubscribedFrame = {
        type: 'subscribed',
        ...(id === undefined ? {} : { id }),
        channel,
        epoch: start.top.epoch,
        offset: start.top.offset,
        recoverable: options.history.size > 0,
        ...(since === undefined ? {} : { recovered: start.recovered }),
        ...(delivery.policy === 'all' ? {} : { delivery: delivery.policy }),
        ...(effective > 0 ? { rate: effective } : {}),
        ...(member.compact === true ? { sid: sub.sid } : {}),
      };
      reply.reply(frame);
      sub.goLive(
        start.start,
        prepareAll(start.missed, sub.sid, this.hub.entry(channel)?.cursorPrefix),
        start.top,
      );
      if (options.presence) {
        sub.joinedPresence = true;
        sub.channelInfo = request.info;
        this.presenceJoin(channel, withChannelInfo(member.clientInfo, request.info), options.joinLeave);
        this.#member('member_added', channel, member);
      }
      return true;
    } catch (err) {
      member.release(sub);
      sub.close();
      this.#detach(sub);
      this.logFailure('subscribe failed', err, { channel, client: member.id });
      return refuse(err);
    }
  }

  leave(member: Member, sub: Subscription): void {
    sub.close();
    this.#detach(sub);
    const options = this.channelOptions(sub.channel);
    if (sub.joinedPresence && options.presence) {
      this.presenceLeave(sub.channel, withChannelInfo(member.clientInfo, sub.channelInfo), options.joinLeave);
      this.#member('member_removed', sub.channel, member);
    }
  }

  #member(name: 'member_added' | 'member_removed', channel: string, member: Member): void {
    if (this.#webhooks.wants(name))
      this.#webhooks.emit({ name, channel, client: member.id, user: member.clientInfo.user });
  }

  /** Joins the hub; the first local subscriber of a channel subscribes the node through the broker. */
  async #attach(sub: Subscription): Promise<void> {
    if (this.hub.add(sub)) {
      this.#chain(sub.channel, () => this.engine.broker.subscribe(sub.channel));
      this.#occupancyChange(sub.channel, 'channel_occupied');
    }
    await this.#brokerOps.get(sub.channel);
  }

  #detach(sub: Subscription): void {
    if (this.hub.remove(sub)) {
      this.#chain(sub.channel, () => this.engine.broker.unsubscribe(sub.channel));
      this.#occupancyChange(sub.channel, 'channel_vacated');
    }
  }

  /**
   * This node's first subscriber of `channel` came, or its last went: the occupancy store says whether that made
   * the channel occupied or vacated across the cluster, and only then is the webhook event sent (once, by the
   * node whose change it was). Changes run one after another per channel, like broker subscriptions.
   */
  #occupancyChange(channel: string, name: 'channel_occupied' | 'channel_vacated'): void {
    const store = this.#occupancy;
    if (store === null) return;
    const op = async () => {
      const changed =
        name === 'channel_occupied'
          ? await store.occupy(channel, this.nodeId, OCCUPANCY_TTL_MS)
          : await store.vacate(channel, this.nodeId);
      if (changed && this.#webhooks.wants(name)) this.#webhooks.emit({ name, channel });
    };
    const previous = this.#occupancyOps.get(channel) ?? Promise.resolve();
    const next = previous.then(op, op).finally(() => {
      if (this.#occupancyOps.get(channel) === next) this.#occupancyOps.delete(channel);
    });
    next.catch((err: unknown) => this.logFailure('occupancy change failed', err, { channel }));
    this.#occupancyOps.set(channel, next);
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
   * Validates and publishes. `data` is any JSON value or a `Uint8Array` of bytes, serialized here once, or a
   * `Payload` serialized by the caller (a broadcast serializes once for all its channels, and their histories share the one string).
   */
  async publish(
    channel: string,
    data: unknown,
    options: PublishRequestOptions,
    source: PublishSource,
  ): Promise<PublishResult> {
    this.assertChannel(channel);
    const payload = data instanceof Payload ? data : Payload.of(data);
    const publishOptions = this.#publishOptions(channel, payload, options);
    // Without a tracing SDK (the default) no closure per publish: the engine's promise is awaited directly.
    const result = tracingEnabled()
      ? await tracePublish(channel, source, () =>
          this.engine.broker.publish(channel, payload.data, publishOptions),
        )
      : await this.engine.broker.publish(channel, payload.data, publishOptions);
    this.#published(channel, result, payload, options, source);
    return result;
  }

  /**
   * One payload published to every channel of `channels` (the HTTP API's broadcast), each as `publish` would,
   * with each channel's result or its refusal (a `SwitchboardError`) in the channels' order. With an engine that
   * publishes many at once (`Broker.publishMany`, the memory engine) and no tracing SDK, the whole broadcast is
   * one engine call and one promise; otherwise (a span per channel, or Redis and NATS) one `publish` per channel.
   */
  async broadcast(
    channels: readonly string[],
    data: unknown,
    options: PublishRequestOptions,
    source: PublishSource,
  ): Promise<(PublishResult | SwitchboardError)[]> {
    const payload = data instanceof Payload ? data : Payload.of(data);
    const broker = this.engine.broker;
    if (broker.publishMany === undefined || tracingEnabled())
      return Promise.all(
        channels.map((channel) =>
          this.publish(channel, payload, options, source).then(
            (r) => r,
            (err: unknown) => toSwitchboardError(err),
          ),
        ),
      );
    const results = new Array<PublishResult | SwitchboardError>(channels.length);
    // The channels that passed the checks, their options, and where their results go.
    const tried: string[] = [];
    const tryOptions: PublishOptions[] = [];
    const at: number[] = [];
    for (let i = 0; i < channels.length; i++) {
      const channel = channels[i]!;
      try {
        this.assertChannel(channel);
        tryOptions.push(this.#publishOptions(channel, payload, options));
        tried.push(channel);
        at.push(i);
      } catch (err) {
        results[i] = toSwitchboardError(err);
      }
    }
    let published: (PublishResult | Error)[];
    try {
      published = tried.length === 0 ? [] : await broker.publishMany(tried, payload.data, tryOptions);
    } catch (err) {
      const e = toSwitchboardError(err);
      for (const i of at) results[i] = e;
      return results;
    }
    for (let k = 0; k < tried.length; k++) {
      const r = published[k];
      const i = at[k]!;
      if (r === undefined || r instanceof Error) {
        results[i] = toSwitchboardError(r ?? new SwitchboardError('internal', 'the engine gave no result'));
        continue;
      }
      results[i] = r;
      this.#published(tried[k]!, r, payload, options, source);
    }
    return results;
  }

  /** The engine's options for a publish on `channel`; throws when the payload is over the channel's limit. */
  #publishOptions(channel: string, payload: Payload, options: PublishRequestOptions): PublishOptions {
    const channelOptions = this.channelOptions(channel);
    if (payload.bytes > channelOptions.maxMessageBytes) {
      throw new SwitchboardError(
        'payload_too_large',
        `data is larger than ${channelOptions.maxMessageBytes} bytes`,
      );
    }
    const history = channelOptions.history;
    const idempotencyTtlMs = this.config.idempotency.ttlMs;
    if (options.idempotencyKey !== undefined || options.info !== undefined)
      return { history, idempotencyTtlMs, ...options };
    // The common case (no key, no client info): one options object per channel options, made once.
    let common = this.#commonPublishOptions.get(channelOptions);
    if (common === undefined) {
      common = { history, idempotencyTtlMs };
      this.#commonPublishOptions.set(channelOptions, common);
    }
    return common;
  }

  /** After a publish: the count, and the webhook event of a client's publication. */
  #published(
    channel: string,
    result: PublishResult,
    payload: Payload,
    options: PublishRequestOptions,
    source: PublishSource,
  ): void {
    if (result.duplicate) return;
    this.metrics.published[source]++;
    if (source === 'client' && this.#webhooks.wants('client_event'))
      this.#webhooks.emit({
        name: 'client_event',
        channel,
        client: options.info?.client ?? '',
        user: options.info?.user ?? null,
        // Bytes go as base64 in `data_b64`, as everywhere else in JSON (protocol.md section 11).
        ...(payload.binary
          ? { data_b64: base64Of(payload.data) }
          : { data: JSON.parse(payload.data) as unknown }),
      });
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
    const store = this.#occupancy;
    if (store !== null)
      for (const [channel] of this.hub.channels())
        store
          .occupy(channel, this.nodeId, OCCUPANCY_TTL_MS)
          .catch((err: unknown) => this.logFailure('occupancy refresh failed', err, { channel }));
    for (const session of this.#sessions.values()) {
      for (const channel of session.channels()) {
        if (!this.channelOptions(channel).presence) continue;
        this.engine.presence
          .add(channel, session.presenceInfo(channel), PRESENCE_TTL_MS)
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
