import type {
  ClientCommand,
  ClientInfo,
  CommandId,
  ErrorCode,
  ErrorFrame,
  HistoryCommand,
  Position,
  PublishCommand,
  ServerFrame,
  SubscribedFrame,
} from '@switchboard/protocol';
import { type Disconnect, disconnectFor, toSwitchboardError } from '../errors.ts';
import type { Transport } from '../transport/types.ts';
import { startingPoint } from './catch-up.ts';
import { effectiveRate } from './delivery/gate.ts';
import type { SwitchboardNode } from './node.ts';
import type { PreparedPublication } from './prepared.ts';
import { type Drainable, prepareAll, Subscription, type SubscriptionOwner } from './subscription.ts';

/**
 * One client connection, whatever its transport: its subscriptions, its commands and its life cycle.
 *
 * States: `open` -> `closed`, moved only by `#end`. A session writes only to its transport and asks only its node.
 */
export class Session implements SubscriptionOwner {
  readonly id: string;
  readonly user: string | null;
  readonly transport: Transport;
  readonly connectedAt = Date.now();
  #state: 'open' | 'closed' = 'open';
  readonly #node: SwitchboardNode;
  readonly #subs = new Map<string, Subscription>();
  readonly #clientInfo: ClientInfo;
  /** Gated subscriptions waiting for the transport to drain; one transport listener serves them all. */
  readonly #drainWaiters = new Set<Drainable>();
  /** Subscriptions that joined presence (so leaving announces a leave). */
  readonly #inPresence = new Set<Subscription>();

  constructor(node: SwitchboardNode, transport: Transport, id: string, user: string | null) {
    this.#node = node;
    this.transport = transport;
    this.id = id;
    this.user = user;
    this.#clientInfo = { client: id, user };
  }

  get state(): 'open' | 'closed' {
    return this.#state;
  }

  get clientInfo(): ClientInfo {
    return this.#clientInfo;
  }

  get subscriptionCount(): number {
    return this.#subs.size;
  }

  channels(): IterableIterator<string> {
    return this.#subs.keys();
  }

  // ---- SubscriptionOwner ----

  sendPublication(prepared: PreparedPublication): void {
    this.transport.sendPublication(prepared);
  }

  overflow(): void {
    this.disconnect(disconnectFor('slow_consumer'));
  }

  get writableBytes(): number {
    return this.transport.writableBytes;
  }

  waitDrain(waiter: Drainable): void {
    if (this.#drainWaiters.size === 0) this.transport.onDrain(() => this.#drained());
    this.#drainWaiters.add(waiter);
  }

  #drained(): void {
    const waiters = [...this.#drainWaiters];
    this.#drainWaiters.clear();
    for (const w of waiters) w.drained();
  }

  // ---- Commands (WebSocket) ----

  async handle(command: ClientCommand): Promise<void> {
    if (this.#state !== 'open') return;
    switch (command.type) {
      case 'ping':
        this.send(command.id === undefined ? { type: 'pong' } : { type: 'pong', id: command.id });
        return;
      case 'subscribe':
        await this.subscribe(command.channel, command.since, command.id, command.rate);
        return;
      case 'unsubscribe':
        await this.unsubscribe(command.channel, command.id);
        return;
      case 'publish':
        await this.#publish(command);
        return;
      case 'history':
        await this.#history(command);
        return;
      case 'presence':
        await this.#presence(command.channel, command.id);
        return;
    }
  }

  /**
   * Subscribes, optionally resuming after `since`. Sends `subscribed`, then (when recovered) every publication
   * after `since`, then live ones: no gap and no duplicate, because the subscription joins the hub first and
   * holds live publications until the history read tells it where the stream stands.
   * `since: null` means the client asked to resume from a position that could not be read: `recovered: false`.
   * Where the namespace has `lastValue`, a subscription that did not recover gets the latest publication first.
   * `rate` asks for at most that many deliveries per second (never more than the namespace's cap).
   * Resolves true once live, false when refused or failed (the client got an `error` frame saying why).
   */
  async subscribe(
    channel: string,
    since: Position | null | undefined,
    id?: CommandId,
    rate?: number,
  ): Promise<boolean> {
    if (this.#subs.has(channel)) {
      this.error(id, 'already_subscribed', 'already subscribed to this channel', channel);
      return false;
    }
    if (this.#subs.size >= this.#node.config.limits.maxChannelsPerConnection) {
      this.error(id, 'too_many_channels', 'channel limit for this connection reached', channel);
      return false;
    }
    try {
      this.#node.admit(channel, this.user, rate);
    } catch (err) {
      const e = toSwitchboardError(err);
      this.error(id, e.code, e.message, channel);
      return false;
    }
    const options = this.#node.channelOptions(channel);
    const { delivery } = options;
    const effective = effectiveRate(delivery.maxRate, rate);
    const sub = new Subscription(channel, this, {
      gate:
        delivery.policy === 'all'
          ? null
          : {
              policy: delivery.policy,
              conflateKey: delivery.conflateKey,
              queueSize: delivery.queueSize,
              rate: effective,
              highWater: this.#node.deliveryHighWater,
            },
      skipOwn: !options.echo,
      highWater: this.#node.deliveryHighWater,
    });
    this.#subs.set(channel, sub);
    try {
      await this.#node.attach(sub);
      const { top, recovered, start, missed } = await startingPoint(
        this.#node.engine.history,
        channel,
        since,
        options.lastValue,
      );
      if (this.#state !== 'open') return false;
      if (sub.state !== 'subscribing') {
        // Unsubscribed (or overflowed) before the subscription completed: the subscribe still gets its answer.
        this.error(id, 'not_subscribed', 'the subscription ended before it completed', channel);
        return false;
      }
      this.#node.hub.notePosition(channel, top);
      this.transport.resumeFrom?.(channel, start);
      const frame: SubscribedFrame = {
        type: 'subscribed',
        ...(id === undefined ? {} : { id }),
        channel,
        epoch: top.epoch,
        offset: top.offset,
        recoverable: options.history.size > 0,
        ...(since === undefined ? {} : { recovered }),
        ...(delivery.policy === 'all' ? {} : { delivery: delivery.policy }),
        ...(effective > 0 ? { rate: effective } : {}),
      };
      this.send(frame);
      sub.goLive(start, prepareAll(missed));
      if (options.presence) {
        this.#inPresence.add(sub);
        this.#node.presenceJoin(channel, this.#clientInfo, options.joinLeave);
      }
      return true;
    } catch (err) {
      if (this.#subs.get(channel) === sub) this.#subs.delete(channel);
      sub.close();
      this.#node.detach(sub);
      const e = toSwitchboardError(err);
      this.#node.logFailure('subscribe failed', err, { channel, client: this.id });
      this.error(id, e.code, e.message, channel);
      return false;
    }
  }

  async unsubscribe(channel: string, id?: CommandId): Promise<void> {
    const sub = this.#subs.get(channel);
    if (sub === undefined) return this.error(id, 'not_subscribed', 'not subscribed to this channel', channel);
    this.#drop(sub);
    this.send(id === undefined ? { type: 'unsubscribed', channel } : { type: 'unsubscribed', id, channel });
  }

  async #publish(command: PublishCommand): Promise<void> {
    const { channel, id } = command;
    if (!this.#node.channelOptions(channel).clientPublish) {
      return this.error(id, 'forbidden', 'clients may not publish to this channel', channel);
    }
    try {
      const options =
        command.idempotencyKey === undefined
          ? { info: this.#clientInfo }
          : { info: this.#clientInfo, idempotencyKey: command.idempotencyKey };
      const { publication } = await this.#node.publish(channel, command.data, options, 'client');
      this.send({
        type: 'published',
        ...(id === undefined ? {} : { id }),
        channel,
        epoch: publication.epoch,
        offset: publication.offset,
      });
    } catch (err) {
      const e = toSwitchboardError(err);
      this.error(id, e.code, e.message, channel);
    }
  }

  async #history(command: HistoryCommand): Promise<void> {
    const { channel, id } = command;
    try {
      const query = {
        ...(command.since ? { since: command.since } : {}),
        ...(command.limit === undefined ? {} : { limit: command.limit }),
      };
      const result = await this.#node.history(channel, query);
      this.send({
        type: 'history',
        ...(id === undefined ? {} : { id }),
        channel,
        epoch: result.top.epoch,
        offset: result.top.offset,
        ...(command.since ? { recovered: result.recovered } : {}),
        publications: result.publications.map((p) => ({
          epoch: p.epoch,
          offset: p.offset,
          data: JSON.parse(p.data) as unknown,
          ...(p.info ? { info: p.info } : {}),
        })),
      });
    } catch (err) {
      const e = toSwitchboardError(err);
      this.error(id, e.code, e.message, channel);
    }
  }

  async #presence(channel: string, id: CommandId | undefined): Promise<void> {
    try {
      const clients = await this.#node.presence(channel);
      this.send({ type: 'presence', ...(id === undefined ? {} : { id }), channel, clients });
    } catch (err) {
      const e = toSwitchboardError(err);
      this.error(id, e.code, e.message, channel);
    }
  }

  // ---- Output ----

  send(frame: ServerFrame): void {
    if (this.#state === 'open') this.transport.send(frame);
  }

  error(id: CommandId | undefined, code: ErrorCode, message: string, channel?: string): void {
    const frame: ErrorFrame = {
      type: 'error',
      ...(id === undefined ? {} : { id }),
      code,
      message,
      ...(channel === undefined ? {} : { channel }),
    };
    this.#node.metrics.errors.inc({ code });
    this.send(frame);
  }

  // ---- Life cycle ----

  /** The hub ends the connection: the transport says why, then closes. */
  disconnect(d: Disconnect): void {
    if (this.#state !== 'open') return;
    this.#node.metrics.disconnects.inc({ reason: d.reason });
    this.transport.close(d);
    this.#end();
  }

  /** The transport went away (peer closed, socket error). */
  closed(): void {
    this.#end();
  }

  #end(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#drainWaiters.clear();
    this.transport.onDrain(null);
    for (const sub of this.#subs.values()) this.#drop(sub);
    this.#node.unregister(this);
  }

  #drop(sub: Subscription): void {
    // Joined presence once `subscribed` was sent, even while it was still catching up from history.
    const wasLive = this.#inPresence.delete(sub);
    sub.close();
    this.#subs.delete(sub.channel);
    this.#node.detach(sub);
    const options = this.#node.channelOptions(sub.channel);
    if (wasLive && options.presence)
      this.#node.presenceLeave(sub.channel, this.#clientInfo, options.joinLeave);
  }
}
