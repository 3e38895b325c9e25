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
import type { Action } from '../auth/access.ts';
import { type Identity, UNAUTHORIZED_MESSAGE } from '../auth/types.ts';
import { type Disconnect, disconnectFor, toSwitchboardError } from '../errors.ts';
import { bucketFor, type TokenBucket } from '../limits/rate.ts';
import type { Transport } from '../transport/types.ts';
import { startingPoint } from './catch-up.ts';
import { effectiveRate } from './delivery/gate.ts';
import type { SwitchboardNode } from './node.ts';
import { type PreparedFrame, type PreparedPublication, prepareAll } from './prepared.ts';
import { SessionCredentials } from './session-credentials.ts';
import { type Drainable, Subscription, type SubscriptionOwner } from './subscription.ts';

/**
 * One client connection, whatever its transport: its subscriptions, its commands and its life cycle.
 *
 * States: `open` -> `closed`, moved only by `#end`. A session writes only to its transport and asks only its node.
 */
export class Session implements SubscriptionOwner {
  readonly id: string;
  readonly transport: Transport;
  readonly connectedAt = Date.now();
  #state: 'open' | 'closed' = 'open';
  readonly #node: SwitchboardNode;
  readonly #subs = new Map<string, Subscription>();
  readonly #credentials: SessionCredentials;
  readonly #commands: TokenBucket | null;
  readonly #publishes: TokenBucket | null;
  /** Gated subscriptions waiting for the transport to drain; one transport listener serves them all. */
  readonly #drainWaiters = new Set<Drainable>();
  /** Subscriptions that joined presence (so leaving announces a leave). */
  readonly #inPresence = new Set<Subscription>();

  constructor(node: SwitchboardNode, transport: Transport, id: string, identity: Identity) {
    this.#node = node;
    this.transport = transport;
    this.id = id;
    this.#credentials = new SessionCredentials(
      {
        send: (frame) => this.send(frame),
        refuse: (commandId) => this.#refuseCredentials(commandId),
        expire: () => this.disconnect(disconnectFor('token_expired')),
        changed: (previous) => this.#identityChanged(previous),
      },
      node.authenticator,
      node.config,
      id,
      identity,
      transport.kind,
    );
    const { limits } = node.config;
    const now = Date.now();
    this.#commands = transport.kind === 'websocket' ? bucketFor(limits.commandRate, now) : null;
    this.#publishes = bucketFor(limits.publishRate, now);
  }

  get state(): 'open' | 'closed' {
    return this.#state;
  }

  get user(): string | null {
    return this.#credentials.identity.user;
  }

  get identity(): Identity {
    return this.#credentials.identity;
  }

  get clientInfo(): ClientInfo {
    return this.#credentials.clientInfo;
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

  sendPrepared(frame: PreparedFrame): void {
    if (this.#state === 'open') this.transport.sendPrepared(frame);
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
    if (this.#commands !== null && !this.#commands.take(Date.now())) {
      this.#node.metrics.rateLimited.inc({ limit: 'command' });
      return this.error(command.id, 'too_many_requests', 'too many commands; slow down');
    }
    if (command.type === 'auth') return this.#credentials.auth(command);
    const pending = this.#credentials.pending;
    if (pending !== undefined) {
      await pending;
      if (this.#state !== 'open') return;
    }
    switch (command.type) {
      case 'ping':
        this.send(command.id === undefined ? { type: 'pong' } : { type: 'pong', id: command.id });
        return;
      case 'subscribe':
        await this.subscribe(command.channel, command.since, command.id, command.token, command.rate);
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
    token?: string,
    rate?: number,
  ): Promise<boolean> {
    if (!this.#roomFor(channel, id)) return false;
    const { access } = this.#node;
    // Synchronous unless a subscription token must be verified, so a subscribe followed at once by an
    // unsubscribe still finds the subscription registered.
    const needsToken = access.needsSubscriptionToken(channel);
    const refusal = needsToken
      ? await this.#credentials.checkSubscriptionToken(channel, token)
      : access.check(this.identity, 'subscribe', channel);
    if (this.#state !== 'open') return false;
    if (refusal !== null) {
      this.error(id, refusal.code, refusal.message, channel);
      return false;
    }
    // Checked again: another subscribe may have completed while the token was being verified.
    if (needsToken && !this.#roomFor(channel, id)) return false;
    try {
      this.#node.admit(channel, rate);
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
        this.#node.presenceJoin(channel, this.clientInfo, options.joinLeave);
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

  /** Whether `channel` can be added: not subscribed yet, and under the per-connection limit (else answered). */
  #roomFor(channel: string, id: CommandId | undefined): boolean {
    if (this.#subs.has(channel)) {
      this.error(id, 'already_subscribed', 'already subscribed to this channel', channel);
      return false;
    }
    if (this.#subs.size >= this.#node.config.limits.maxChannelsPerConnection) {
      this.error(id, 'too_many_channels', 'channel limit for this connection reached', channel);
      return false;
    }
    return true;
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
    if (this.#refused('publish', channel, id)) return;
    if (this.#publishes !== null && !this.#publishes.take(Date.now())) {
      this.#node.metrics.rateLimited.inc({ limit: 'publish' });
      return this.error(id, 'too_many_requests', 'too many publishes; slow down', channel);
    }
    try {
      const options =
        command.idempotencyKey === undefined
          ? { info: this.clientInfo }
          : { info: this.clientInfo, idempotencyKey: command.idempotencyKey };
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
    if (this.#refused('subscribe', channel, id)) return;
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
    if (this.#refused('presence', channel, id)) return;
    try {
      const clients = await this.#node.presence(channel);
      this.send({ type: 'presence', ...(id === undefined ? {} : { id }), channel, clients });
    } catch (err) {
      const e = toSwitchboardError(err);
      this.error(id, e.code, e.message, channel);
    }
  }

  // ---- Credentials ----

  /** Whether `action` on `channel` is refused to this connection (and if so, says why to the client). */
  #refused(action: Action, channel: string, id: CommandId | undefined): boolean {
    const refusal = this.#node.access.check(this.identity, action, channel);
    if (refusal === null) return false;
    this.error(id, refusal.code, refusal.message, channel);
    return true;
  }

  /**
   * After an `auth`: disconnect-by-user finds the new user, presence shows the new client info, and channels the
   * new token no longer permits are left.
   */
  #identityChanged(previous: Identity): void {
    if (this.#state !== 'open') return;
    if (previous.user !== this.user) this.#node.identified(this, previous.user);
    const infoChanged = previous.user !== this.user || previous.info !== this.identity.info;
    const { access } = this.#node;
    for (const sub of [...this.#subs.values()]) {
      if (sub.state !== 'live') continue;
      if (!access.needsSubscriptionToken(sub.channel)) {
        const refusal = access.check(this.identity, 'subscribe', sub.channel);
        if (refusal !== null) {
          this.#drop(sub);
          this.error(undefined, refusal.code, refusal.message, sub.channel);
          this.send({ type: 'unsubscribed', channel: sub.channel });
          continue;
        }
      }
      const options = this.#node.channelOptions(sub.channel);
      if (infoChanged && options.presence) this.#node.presenceJoin(sub.channel, this.clientInfo, false);
    }
  }

  #refuseCredentials(id: CommandId | undefined): void {
    this.#node.metrics.refused.inc({ reason: 'unauthorized' });
    this.error(id, 'unauthorized', UNAUTHORIZED_MESSAGE);
    this.disconnect(disconnectFor('unauthorized'));
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
    this.#credentials.stop();
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
      this.#node.presenceLeave(sub.channel, this.clientInfo, options.joinLeave);
  }
}
