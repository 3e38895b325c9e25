import type {
  ClientCommand,
  ClientInfo,
  CommandError,
  CommandId,
  ErrorCode,
  HistoryCommand,
  Position,
  PublishCommand,
  RpcCommand,
  ServerFrame,
} from '@switchboard/protocol';
import type { Action } from '../auth/access.ts';
import { channelUsers } from '../auth/patterns.ts';
import { type Identity, UNAUTHORIZED_MESSAGE } from '../auth/types.ts';
import { type Disconnect, disconnectFor, toSwitchboardError } from '../errors.ts';
import { InboundMeter } from '../limits/inbound.ts';
import { bucketFor, type TokenBucket } from '../limits/rate.ts';
import { ReadBudget } from '../limits/read-budget.ts';
import type { HookContext } from '../proxy/hooks.ts';
import type { Transport } from '../transport/types.ts';
import { HISTORY_BUDGET_SPENT, historyBytes } from './catch-up.ts';
import type { Member, SessionHost, SubscribeRequest } from './host.ts';
import {
  type Continuity,
  type PreparedFrame,
  type PreparedPublication,
  publicationView,
} from './prepared.ts';
import { errorFrame, type ReplySink } from './reply.ts';
import { SessionCredentials } from './session-credentials.ts';
import type { Drainable, Subscription } from './subscription.ts';

/**
 * One client connection, whatever its transport: its subscriptions, its commands and its life cycle.
 *
 * States: `open` -> `closed`, moved only by `#end`. A session writes only to its transport, answers each command
 * into the reply sink it came with, and sees its node only through `SessionHost`.
 */
export class Session implements Member {
  readonly id: string;
  readonly transport: Transport;
  readonly connectedAt = Date.now();
  /** Replies that go to the connection itself (WebSocket commands, an SSE stream's own subscribes). */
  readonly connection: ReplySink = { reply: (frame) => this.send(frame) };
  #state: 'open' | 'closed' = 'open';
  readonly #host: SessionHost;
  readonly #subs = new Map<string, Subscription>();
  readonly #credentials: SessionCredentials;
  readonly #inbound: InboundMeter;
  readonly #publishes: TokenBucket | null;
  readonly #reads: ReadBudget;
  /** Gated subscriptions waiting for the transport to drain; one transport listener serves them all. */
  readonly #drainWaiters = new Set<Drainable>();
  /** The request headers `proxy.headers` forwards to the app backend's hooks. */
  readonly #headers: Readonly<Record<string, string>>;
  #refreshTimer: NodeJS.Timeout | undefined;
  /** Why the session ended: the hub's close reason, or `closed` when the client went away. */
  #endReason = 'closed';

  constructor(
    host: SessionHost,
    transport: Transport,
    id: string,
    identity: Identity,
    headers: Readonly<Record<string, string>> = {},
  ) {
    this.#host = host;
    this.transport = transport;
    this.id = id;
    this.#headers = headers;
    this.#credentials = new SessionCredentials(
      {
        refuse: (commandId, reply) => this.#refuseCredentials(commandId, reply ?? this.connection),
        expire: () => this.#expired(),
        changed: (previous) => this.#identityChanged(previous),
      },
      host.authenticator,
      host.config,
      id,
      identity,
      transport.kind,
    );
    const { limits } = host.config;
    const now = Date.now();
    this.#inbound = new InboundMeter(limits.commandRate, limits.errorRate, now);
    this.#publishes = bucketFor(limits.publishRate, now);
    this.#reads = new ReadBudget(this.#readRate(), now);
  }

  get state(): 'open' | 'closed' {
    return this.#state;
  }

  get open(): boolean {
    return this.#state === 'open';
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

  /** The connection's presence entry on `channel`: its client info, with the channel's own info if it has one. */
  presenceInfo(channel: string): ClientInfo {
    return withChannelInfo(this.clientInfo, this.#subs.get(channel)?.channelInfo);
  }

  // ---- Member (what the node and the subscriptions see) ----

  sendPublication(prepared: PreparedPublication, continuity: Continuity): void {
    this.transport.sendPublication(prepared, continuity);
  }

  get compact(): boolean {
    return this.transport.compact === true;
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

  hold(sub: Subscription): void {
    this.#subs.set(sub.channel, sub);
  }

  release(sub: Subscription): void {
    if (this.#subs.get(sub.channel) === sub) this.#subs.delete(sub.channel);
  }

  resumeFrom(channel: string, position: Position): void {
    this.transport.resumeFrom?.(channel, position);
  }

  mayReadHistory(): boolean {
    return this.#reads.allows(Date.now());
  }

  readHistory(bytes: number): void {
    this.#reads.spend(bytes, Date.now());
  }

  /**
   * The connection is now `identity`, vouched for by its endpoint (not a token): presence entries show it, and
   * disconnect-by-user finds it.
   */
  assume(identity: Identity): void {
    this.#credentials.assume(identity);
  }

  // ---- Commands ----

  /**
   * Meters one inbound frame (a WebSocket message, a `POST /sse/command`) before its endpoint reads it, against
   * the connection's command and error budgets (`InboundMeter`). True to read it; false when it was refused
   * (answered `too_many_requests` into `reply`) or the connection was closed for too many errors (4504).
   */
  admit(reply: ReplySink = this.connection): boolean {
    if (this.#state !== 'open') return false;
    const admission = this.#inbound.admit(Date.now());
    if (admission === 'read') return true;
    this.#host.metrics.rateLimited.inc({ limit: 'command' });
    if (admission === 'refuse')
      this.#fail(reply, undefined, 'too_many_requests', 'too many commands; slow down');
    else this.disconnect(disconnectFor('too_many_errors'));
    return false;
  }

  /**
   * An admitted frame its endpoint could not read (not JSON, not a command): a fault against the error budget,
   * answered with its error into `reply` while the budget lasts; once spent the connection is closed (4504).
   */
  unreadable(error: CommandError, reply: ReplySink = this.connection): void {
    if (this.#state !== 'open') return;
    if (this.#inbound.fault(Date.now()))
      this.#fail(reply, error.id, error.code, error.message, error.channel);
    else this.disconnect(disconnectFor('too_many_errors'));
  }

  /** Runs one command (admitted and read by its endpoint); its answer goes to `reply` (the connection, or an HTTP response). */
  async handle(command: ClientCommand, reply: ReplySink): Promise<void> {
    if (this.#state !== 'open') return;
    if (command.type === 'auth') return this.#credentials.auth(command, this.#answering(reply));
    const pending = this.#credentials.pending;
    if (pending !== undefined) {
      await pending;
      if (this.#state !== 'open') return;
    }
    switch (command.type) {
      case 'ping':
        return this.#answer(
          reply,
          command.id === undefined ? { type: 'pong' } : { type: 'pong', id: command.id },
        );
      case 'subscribe': {
        const { type: _type, ...request } = command;
        await this.subscribe(request, reply);
        return;
      }
      case 'unsubscribe':
        return this.unsubscribe(command.channel, command.id, reply);
      case 'publish':
        return this.#publish(command, reply);
      case 'history':
        return this.#history(command, reply);
      case 'presence':
        return this.#presence(command.channel, command.id, reply);
      case 'rpc':
        return this.#rpc(command, reply);
    }
  }

  /** What the app backend's hooks are told about this connection. */
  hookContext(): HookContext {
    return { client: this.id, transport: this.transport.kind, user: this.user, headers: this.#headers };
  }

  /** The namespace's subscribe hook URL for `channel`, or null where the hub's own rules decide. */
  #subscribeHook(channel: string): string | null {
    const url = this.#host.channelOptions(channel).proxy.subscribe;
    // User channels stay the hub's: only the users they name may subscribe, whatever a backend says.
    return url === '' || channelUsers(channel) !== null ? null : url;
  }

  /**
   * Subscribes, optionally resuming after `request.since`: `subscribed`, then (when recovered) every publication
   * after `since`, then live ones, with no gap and no duplicate (the node's `join`). The session checks what is
   * its own first: the per-connection limit and the subscription's credentials. Resolves true once live, false
   * when refused or failed (the answer said why).
   */
  async subscribe(request: SubscribeRequest, reply: ReplySink = this.connection): Promise<boolean> {
    const { channel, id } = request;
    if (!this.#roomFor(channel, id, reply)) return false;
    const { access } = this.#host;
    // Synchronous unless a subscription token must be verified, so a subscribe followed at once by an
    // unsubscribe still finds the subscription registered.
    const needsToken = access.needsSubscriptionToken(channel);
    const hook = needsToken || request.hooked === true ? null : this.#subscribeHook(channel);
    if (hook !== null) return this.#subscribeThroughHook(hook, request, reply);
    const refusal = needsToken
      ? await this.#credentials.checkSubscriptionToken(channel, request.token)
      : request.hooked === true
        ? null
        : access.check(this.identity, 'subscribe', channel);
    if (this.#state !== 'open') return false;
    if (refusal !== null) {
      this.#fail(reply, id, refusal.code, refusal.message, channel);
      return false;
    }
    // Checked again: another subscribe may have completed while the token was being verified.
    if (needsToken && !this.#roomFor(channel, id, reply)) return false;
    return this.#host.join(this, request, this.#answering(reply));
  }

  /** The namespace's subscribe hook decides instead of the token's patterns and `anonymous`. */
  async #subscribeThroughHook(url: string, request: SubscribeRequest, reply: ReplySink): Promise<boolean> {
    const { channel, id } = request;
    let info: unknown;
    try {
      ({ info } = await this.#host.hooks.subscribe(this.hookContext(), url, channel));
    } catch (err) {
      if (this.#state === 'open') this.#failWith(reply, id, err, channel);
      return false;
    }
    if (this.#state !== 'open') return false;
    // Checked again: another subscribe may have completed while the backend was asked.
    if (!this.#roomFor(channel, id, reply)) return false;
    const admitted = { ...request, hooked: true, ...(info === undefined ? {} : { info }) };
    return this.#host.join(this, admitted, this.#answering(reply));
  }

  /** Whether `channel` can be added: not subscribed yet, and under the per-connection limit (else answered). */
  #roomFor(channel: string, id: CommandId | undefined, reply: ReplySink): boolean {
    if (this.#subs.has(channel)) {
      this.#fail(reply, id, 'already_subscribed', 'already subscribed to this channel', channel);
      return false;
    }
    if (this.#subs.size >= this.#host.config.limits.maxChannelsPerConnection) {
      this.#fail(reply, id, 'too_many_channels', 'channel limit for this connection reached', channel);
      return false;
    }
    return true;
  }

  unsubscribe(channel: string, id?: CommandId, reply: ReplySink = this.connection): void {
    const sub = this.#subs.get(channel);
    if (sub === undefined)
      return this.#fail(reply, id, 'not_subscribed', 'not subscribed to this channel', channel);
    this.#drop(sub);
    this.#answer(
      reply,
      id === undefined ? { type: 'unsubscribed', channel } : { type: 'unsubscribed', id, channel },
    );
  }

  async #publish(command: PublishCommand, reply: ReplySink): Promise<void> {
    const { channel, id } = command;
    if (!this.#host.channelOptions(channel).clientPublish) {
      return this.#fail(reply, id, 'forbidden', 'clients may not publish to this channel', channel);
    }
    const hook = this.#host.channelOptions(channel).proxy.publish;
    // With a publish hook the backend decides instead of the token's patterns (user channels stay the hub's).
    if ((hook === '' || channelUsers(channel) !== null) && this.#refused('publish', channel, id, reply))
      return;
    if (this.#publishes !== null && !this.#publishes.take(Date.now())) {
      this.#host.metrics.rateLimited.inc({ limit: 'publish' });
      return this.#fail(reply, id, 'too_many_requests', 'too many publishes; slow down', channel);
    }
    try {
      const data =
        hook === '' || channelUsers(channel) !== null
          ? command.data
          : await this.#host.hooks.publish(this.hookContext(), hook, channel, command.data);
      if (this.#state !== 'open') return;
      const options =
        command.idempotencyKey === undefined
          ? { info: this.clientInfo }
          : { info: this.clientInfo, idempotencyKey: command.idempotencyKey };
      const { publication } = await this.#host.publish(channel, data, options, 'client');
      this.#answer(reply, {
        type: 'published',
        ...(id === undefined ? {} : { id }),
        channel,
        epoch: publication.epoch,
        offset: publication.offset,
      });
    } catch (err) {
      this.#failWith(reply, id, err, channel);
    }
  }

  /**
   * History reads one at a time per connection, each checked against the read budget when its turn comes: commands
   * that arrive together (one TCP read holds many frames) would otherwise all pass the check before the first read
   * is counted. The queue is bounded by the command budget. Undefined while no read is running (no object kept).
   */
  #historyTail: Promise<void> | undefined;

  async #history(command: HistoryCommand, reply: ReplySink): Promise<void> {
    const before = this.#historyTail;
    const mine = this.#historyInTurn(before, command, reply);
    this.#historyTail = mine;
    await mine;
    if (this.#historyTail === mine) this.#historyTail = undefined;
  }

  async #historyInTurn(
    before: Promise<void> | undefined,
    command: HistoryCommand,
    reply: ReplySink,
  ): Promise<void> {
    if (before !== undefined) await before;
    if (this.#state !== 'open') return;
    const { channel, id } = command;
    if (this.#refused('subscribe', channel, id, reply)) return;
    if (!this.mayReadHistory()) {
      this.#host.metrics.rateLimited.inc({ limit: 'history' });
      return this.#fail(reply, id, 'too_many_requests', HISTORY_BUDGET_SPENT, channel);
    }
    try {
      const query = {
        ...(command.since ? { since: command.since } : {}),
        ...(command.limit === undefined ? {} : { limit: command.limit }),
      };
      const result = await this.#host.history(channel, query);
      this.readHistory(historyBytes(result.publications));
      this.#answer(reply, {
        type: 'history',
        ...(id === undefined ? {} : { id }),
        channel,
        epoch: result.top.epoch,
        offset: result.top.offset,
        ...(command.since ? { recovered: result.recovered } : {}),
        publications: result.publications.map(publicationView),
      });
    } catch (err) {
      this.#failWith(reply, id, err, channel);
    }
  }

  async #presence(channel: string, id: CommandId | undefined, reply: ReplySink): Promise<void> {
    if (this.#refused('presence', channel, id, reply)) return;
    try {
      const clients = await this.#host.presence(channel);
      this.#answer(reply, { type: 'presence', ...(id === undefined ? {} : { id }), channel, clients });
    } catch (err) {
      this.#failWith(reply, id, err, channel);
    }
  }

  /** An rpc, answered by the app backend's rpc hook of the method's namespace. */
  async #rpc(command: RpcCommand, reply: ReplySink): Promise<void> {
    const { method, id } = command;
    const url = this.#host.channelOptions(method).proxy.rpc;
    if (url === '') return this.#fail(reply, id, 'not_found', 'no rpc hook is configured for this method');
    try {
      const data = await this.#host.hooks.rpc(this.hookContext(), url, method, command.data);
      this.#answer(reply, { type: 'rpc', ...(id === undefined ? {} : { id }), method, data });
    } catch (err) {
      const e = toSwitchboardError(err);
      this.#fail(reply, id, e.code, e.message);
    }
  }

  // ---- Credentials ----

  /**
   * The credentials expired: with a refresh hook the backend may extend them (a refusal ends the connection with
   * 4006; a failing backend is asked again after `proxy.breakerCooldown`, the connection kept meanwhile).
   */
  #expired(): void {
    if (this.#state !== 'open') return;
    const { hooks } = this.#host;
    if (!hooks.refreshes) return this.disconnect(disconnectFor('token_expired'));
    hooks.refresh(this.hookContext(), this.identity).then(
      (identity) => this.#credentials.assume(identity),
      (err: unknown) => {
        if (this.#state !== 'open') return;
        const e = toSwitchboardError(err);
        if (e.code === 'forbidden') return this.disconnect(disconnectFor('token_expired'));
        this.#refreshTimer = setTimeout(() => this.#expired(), this.#host.config.proxy.breakerCooldownMs);
        this.#refreshTimer.unref();
      },
    );
  }

  /** Whether `action` on `channel` is refused to this connection (and if so, says why into `reply`). */
  #refused(action: Action, channel: string, id: CommandId | undefined, reply: ReplySink): boolean {
    const refusal = this.#host.access.check(this.identity, action, channel);
    if (refusal === null) return false;
    this.#fail(reply, id, refusal.code, refusal.message, channel);
    return true;
  }

  /**
   * After an `auth`: disconnect-by-user finds the new user, presence shows the new client info, and channels the
   * new token no longer permits are left.
   */
  /** The history read rate for the connection's identity now. */
  #readRate(): number {
    const { limits } = this.#host.config;
    return this.identity.authenticated ? limits.historyReadRate : limits.anonymousHistoryReadRate;
  }

  #identityChanged(previous: Identity): void {
    if (this.#state !== 'open') return;
    this.#reads.setRate(this.#readRate(), Date.now());
    if (previous.user !== this.user) this.#host.identified(this.id, previous.user);
    const infoChanged = previous.user !== this.user || previous.info !== this.identity.info;
    const { access } = this.#host;
    for (const sub of [...this.#subs.values()]) {
      if (sub.state !== 'live') continue;
      // A subscribe hook or a subscription token allowed it: the new token's patterns do not decide it.
      if (!access.needsSubscriptionToken(sub.channel) && this.#subscribeHook(sub.channel) === null) {
        const refusal = access.check(this.identity, 'subscribe', sub.channel);
        if (refusal !== null) {
          this.#drop(sub);
          this.error(undefined, refusal.code, refusal.message, sub.channel);
          this.send({ type: 'unsubscribed', channel: sub.channel });
          continue;
        }
      }
      if (infoChanged && this.#host.channelOptions(sub.channel).presence)
        this.#host.presenceJoin(sub.channel, withChannelInfo(this.clientInfo, sub.channelInfo), false);
    }
  }

  #refuseCredentials(id: CommandId | undefined, reply: ReplySink): void {
    this.#host.metrics.refused.inc({ reason: 'unauthorized' });
    this.#fail(reply, id, 'unauthorized', UNAUTHORIZED_MESSAGE);
    this.disconnect(disconnectFor('unauthorized'));
  }

  // ---- Output ----

  /** Writes a frame to the connection (nothing once closed). */
  send(frame: ServerFrame): void {
    if (this.#state === 'open') this.transport.send(frame);
  }

  /** An `error` frame to the connection, about no command (or a command it could not read). */
  error(id: CommandId | undefined, code: ErrorCode, message: string, channel?: string): void {
    this.#fail(this.connection, id, code, message, channel);
  }

  /** A command's answer; none once the session closed (a closed session answers nothing). */
  #answer(reply: ReplySink, frame: ServerFrame): void {
    if (this.#state === 'open') reply.reply(frame);
  }

  /** `reply` as the node or the credentials answer into it: only while the session is open, errors counted. */
  #answering(reply: ReplySink): ReplySink {
    return {
      reply: (frame) => {
        if (frame.type === 'error') this.#host.metrics.errors.inc({ code: frame.code });
        this.#answer(reply, frame);
      },
    };
  }

  #fail(
    reply: ReplySink,
    id: CommandId | undefined,
    code: ErrorCode,
    message: string,
    channel?: string,
  ): void {
    this.#host.metrics.errors.inc({ code });
    this.#answer(reply, errorFrame(id, code, message, channel));
  }

  #failWith(reply: ReplySink, id: CommandId | undefined, err: unknown, channel: string): void {
    const e = toSwitchboardError(err);
    this.#fail(reply, id, e.code, e.message, channel);
  }

  // ---- Life cycle ----

  /** The hub ends the connection: the transport says why, then closes. */
  disconnect(d: Disconnect): void {
    if (this.#state !== 'open') return;
    this.#host.metrics.disconnects.inc({ reason: d.reason });
    this.#endReason = d.reason;
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
    clearTimeout(this.#refreshTimer);
    this.#drainWaiters.clear();
    this.transport.onDrain(null);
    for (const sub of this.#subs.values()) this.#drop(sub);
    this.#host.unregister(this.id, this.user, this.#endReason);
  }

  #drop(sub: Subscription): void {
    this.#subs.delete(sub.channel);
    this.#host.leave(this, sub);
  }
}

/** `client` with `info` replaced by a channel's own presence info, when there is one. */
export function withChannelInfo(client: ClientInfo, info: unknown): ClientInfo {
  return info === undefined ? client : { ...client, info };
}
