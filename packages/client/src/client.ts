import {
  CLOSE_CODES,
  type ClientInfo,
  channelError,
  isErrorCode,
  type Position,
  type ServerFrame,
} from '@switchboard/protocol';
import { backoffDelay } from './backoff.ts';
import { Calls } from './calls.ts';
import {
  baseUrl,
  type ClientEvents,
  type ClientOptions,
  type ClientReason,
  type ClientState,
  type Connector,
  type ResolvedOptions,
  resolveOptions,
  type Timer,
  timer,
} from './client-options.ts';
import type { Codec } from './codec.ts';
import { Emitter } from './emitter.ts';
import { SwitchboardClientError } from './errors.ts';
import type { CommandBody, ReplyFrame } from './frames.ts';
import { SilenceWatch } from './silence.ts';
import { Subscribes } from './subscribes.ts';
import { Subscription, type SubscriptionControl, type SubscriptionOwner } from './subscription.ts';
import { type TokenOption, Tokens } from './tokens.ts';
import { TransportPolicy } from './transport/policy.ts';
import { openSse } from './transport/sse.ts';
import type { CloseInfo, Transport, TransportDeps, TransportKind } from './transport/types.ts';
import { openWebSocket } from './transport/websocket.ts';
import type { CallOptions, HistoryOptions, HistoryResult, Published } from './types.ts';

/** A connection the client gives up on (no `connected` in time, silence) ends as a missed heartbeat would. */
const HEARTBEAT_TIMEOUT = CLOSE_CODES.heartbeat_timeout.code;
const UNAUTHORIZED = CLOSE_CODES.unauthorized.code;

/** Options of `client.subscribe`. */
export interface SubscribeOptions<T = unknown> {
  /** Resume after this position (one the app kept): the `subscribed` event says whether it could. */
  readonly since?: Position;
  /** A subscription token, or a callback for a fresh one at every subscribe (WebSocket only). */
  readonly token?: TokenOption;
  /**
   * How the channel's payloads read as the app's type: its `publish`, `message` events and `history` go through
   * it. Default: none (JSON values, and a `Uint8Array` for bytes). See `BYTES_CODEC`, or bring your own (say,
   * MessagePack over bytes).
   */
  readonly codec?: Codec<T>;
}

export type {
  ClientEvents,
  ClientOptions,
  ClientReason,
  ClientState,
  ClientStateEvent,
  Connector,
} from './client-options.ts';

/**
 * A connection to a Switchboard hub, with its own state machine (`disconnected` → `connecting` → `connected`,
 * moved only by `#move`), reconnecting with full-jitter backoff and resuming every subscription from its last
 * position after any reconnect, over WebSocket or SSE.
 */
export class Client extends Emitter<ClientEvents> implements SubscriptionOwner {
  readonly #base: string;
  readonly #deps: TransportDeps;
  readonly #tokens: Tokens;
  readonly #calls: Calls;
  readonly #connector: Connector;
  readonly #options: ResolvedOptions;
  readonly #policy: TransportPolicy;
  readonly #subscribes = new Subscribes();
  readonly #subs = new Map<string, { sub: Subscription<unknown>; control: SubscriptionControl }>();
  #state: ClientState = 'disconnected';
  #transport: Transport | undefined;
  #ready = false;
  #gen = 0;
  #attempt = 0;
  #refusals = 0;
  #waitingForChannels = false;
  #reopenQueued = false;
  #silence: SilenceWatch | undefined;
  #clientId: string | undefined;
  #kind: TransportKind | undefined;
  #retryTimer: Timer | undefined;
  #connectTimer: Timer | undefined;
  #refreshTimer: Timer | undefined;

  constructor(url: string, options: ClientOptions = {}) {
    super();
    this.#base = baseUrl(url);
    this.#options = resolveOptions(options);
    this.#policy = new TransportPolicy(this.#options.transport, this.#options.autoFallbackAfter);
    const g = globalThis as Partial<TransportDeps>;
    this.#deps = {
      WebSocket: options.WebSocket ?? g.WebSocket,
      EventSource: options.EventSource ?? g.EventSource,
      fetch: options.fetch ?? (g.fetch === undefined ? undefined : g.fetch.bind(globalThis)),
    };
    this.#tokens = new Tokens(options.token);
    this.#connector =
      options.connector ?? ((kind, params) => (kind === 'sse' ? openSse : openWebSocket)(params));
    this.#calls = new Calls(this.#options.maxPendingCalls);
    if (this.#options.autoConnect) this.connect();
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The transport of the current connection (the hub's `connected` frame says it), or undefined. */
  get transport(): TransportKind | undefined {
    return this.#ready ? this.#kind : undefined;
  }

  /** The hub's id for this connection (for presence and `POST /api/disconnect`), while connected. */
  get id(): string | undefined {
    return this.#ready ? this.#clientId : undefined;
  }

  connect(): void {
    if (this.#state !== 'disconnected') return;
    this.#attempt = 0;
    this.#refusals = 0;
    this.#move('connecting', 'connect');
    void this.#open();
  }

  /** Closes the connection and stays disconnected; subscriptions wait (`subscribing`) for the next `connect()`. */
  disconnect(): void {
    if (this.#state === 'disconnected') return;
    this.#drop();
    this.#calls.failAll('the client disconnected');
    this.#move('disconnected', 'disconnect');
  }

  /**
   * The subscription of `channel` (one per channel and client), subscribing it. `since` starts after a position
   * the app kept; `token` is a subscription token for channels that require one (WebSocket only: sent with every
   * `subscribe`, and a callback is called again for each).
   */
  subscribe<T = unknown>(channel: string, options: SubscribeOptions<T> = {}): Subscription<T> {
    const problem = channelError(channel);
    if (problem !== null) throw new SwitchboardClientError('invalid_channel', problem, channel);
    let entry = this.#subs.get(channel);
    if (entry === undefined) {
      let control: SubscriptionControl | undefined;
      const sub = new Subscription<unknown>(channel, this, options.since, (c) => {
        control = c;
      });
      entry = { sub, control: control! };
      this.#subs.set(channel, entry);
    }
    if (options.codec !== undefined) (entry.sub as Subscription<T>).codec = options.codec;
    if (options.token !== undefined) this.#subscribes.setToken(channel, options.token);
    entry.sub.subscribe();
    return entry.sub as Subscription<T>;
  }

  /** The existing subscription of `channel`, if any. */
  getSubscription<T = unknown>(channel: string): Subscription<T> | undefined {
    return this.#subs.get(channel)?.sub as Subscription<T> | undefined;
  }

  async publish(
    channel: string,
    data: unknown,
    options: CallOptions & { idempotencyKey?: string } = {},
  ): Promise<Published> {
    const body: CommandBody = {
      type: 'publish',
      channel,
      data,
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    };
    const f = this.#expect(await this.#call(body, options), 'published');
    return { channel: f.channel, epoch: f.epoch, offset: f.offset };
  }

  async history<T = unknown>(channel: string, options: HistoryOptions = {}): Promise<HistoryResult<T>> {
    const body: CommandBody = {
      type: 'history',
      channel,
      ...(options.since === undefined ? {} : { since: options.since }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    };
    const f = this.#expect(await this.#call(body, options), 'history');
    return f as unknown as HistoryResult<T>;
  }

  async presence(channel: string, options: CallOptions = {}): Promise<ClientInfo[]> {
    const f = this.#expect(await this.#call({ type: 'presence', channel }, options), 'presence');
    return [...f.clients];
  }

  /**
   * Asks the app backend through the hub: the `rpc` hook of the method's namespace answers (docs/backend.md).
   * Resolves with its data; a refusal rejects with `forbidden`, a failing or slow backend with
   * `backend_unavailable` or `backend_timeout` (retry later). Over WebSocket and SSE alike.
   */
  async rpc<T = unknown>(method: string, data: unknown = null, options: CallOptions = {}): Promise<T> {
    const f = this.#expect(await this.#call({ type: 'rpc', method, data }, options), 'rpc');
    return f.data as T;
  }

  // ---- SubscriptionOwner ----

  wantSubscribe(channel: string): void {
    const entry = this.#subs.get(channel);
    if (entry === undefined || this.#state === 'disconnected') return;
    if (this.#waitingForChannels) {
      this.#waitingForChannels = false;
      void this.#open();
      return;
    }
    const t = this.#transport;
    if (t?.fixedChannels) this.#queueReopen();
    else if (t !== undefined && this.#ready) this.#sendSubscribe(t, channel, entry.control);
  }

  wantUnsubscribe(channel: string): void {
    this.#subscribes.forget(channel);
    const t = this.#transport;
    if (t?.fixedChannels) this.#queueReopen();
    else if (t !== undefined && this.#ready) t.send({ type: 'unsubscribe', channel });
  }

  // ---- Connection life ----

  #active(): [string, SubscriptionControl][] {
    const out: [string, SubscriptionControl][] = [];
    for (const [channel, { sub, control }] of this.#subs)
      if (sub.state !== 'unsubscribed') out.push([channel, control]);
    return out;
  }

  async #open(): Promise<void> {
    const gen = ++this.#gen;
    let token: string | undefined;
    try {
      token = await this.#tokens.current();
    } catch (err) {
      if (gen !== this.#gen) return;
      this.emit('error', new SwitchboardClientError('unauthorized', `getToken() failed: ${String(err)}`));
      return this.#retry('token_error');
    }
    if (gen !== this.#gen || this.#state === 'disconnected') return;
    const kind = this.#policy.next();
    const active = this.#active();
    if (kind === 'sse' && active.length === 0) {
      // A stream needs at least one channel: it opens with the first subscription.
      this.#waitingForChannels = true;
      return;
    }
    // Every transport is told the channels it opens for: SSE puts them in its URL, the tab link tells the relay.
    const channels = active.map(([channel, c]) => ({ channel, since: c.resumePosition() }));
    let transport: Transport;
    try {
      transport = this.#connector(kind, {
        base: this.#base,
        token: kind === 'sse' ? token : undefined,
        channels,
        deps: this.#deps,
        maxEventBytes: this.#options.maxEventBytes,
        handlers: {
          frame: (f) => this.#onFrame(gen, f),
          alive: () => {
            if (gen === this.#gen) this.#silence?.seen();
          },
          closed: (info) => this.#onClosed(gen, info),
        },
      });
    } catch (err) {
      this.emit('error', new SwitchboardClientError('unavailable', String(err)));
      return this.#retry('connection_lost');
    }
    this.#transport = transport;
    this.#connectTimer = timer(() => this.#fail(gen, 'connect_timeout'), this.#options.connectTimeoutMs);
  }

  #onFrame(gen: number, frame: ServerFrame): void {
    // A reply settles its call whatever connection it came on (an SSE reply is an HTTP answer of its own).
    if ('id' in frame && frame.id !== undefined && this.#calls.settle(frame as ReplyFrame)) return;
    if (gen !== this.#gen) return;
    const t = this.#transport!;
    switch (frame.type) {
      case 'connected':
        this.#clientId = frame.client;
        this.#kind = frame.transport;
        this.#watchSilence(gen, frame.heartbeat);
        if (!t.fixedChannels && this.#tokens.configured) void this.#authenticate(gen, t);
        else this.#established(gen, t);
        return;
      case 'subscribed':
      case 'message':
      case 'join':
      case 'leave':
        if (frame.type === 'subscribed') this.#subscribes.subscribed(frame);
        this.#subs.get(frame.channel)?.control.frame(frame);
        return;
      case 'error': {
        const refused = this.#subscribes.refused(frame);
        if (refused === undefined)
          this.emit('error', new SwitchboardClientError(frame.code, frame.message, frame.channel));
        else if (refused.latest) this.#subs.get(refused.channel)?.control.refused(frame.code, frame.message);
        return;
      }
    }
  }

  async #authenticate(gen: number, t: Transport): Promise<void> {
    try {
      const token = await this.#tokens.current();
      if (token === undefined || gen !== this.#gen) return;
      const reply = await this.#calls.call({ type: 'auth', token }, this.#options.connectTimeoutMs, t);
      if (gen !== this.#gen || reply.type !== 'authed') return;
      this.#scheduleRefresh(gen, t, reply.expiresAt);
      this.#established(gen, t);
    } catch (err) {
      if (gen !== this.#gen) return;
      // `unauthorized` is followed by the hub's close 4501, which decides what happens next.
      if (err instanceof SwitchboardClientError && err.code === 'unauthorized') return;
      this.#fail(
        gen,
        err instanceof SwitchboardClientError && err.code === 'timeout' ? 'connect_timeout' : 'token_error',
      );
    }
  }

  #scheduleRefresh(gen: number, t: Transport, expiresAt: number | null): void {
    clearTimeout(this.#refreshTimer);
    if (expiresAt === null) return;
    const delay = Math.max(0, expiresAt - Date.now() - this.#options.tokenRefreshMarginMs);
    this.#refreshTimer = timer(async () => {
      try {
        const token = await this.#tokens.fresh();
        if (token === undefined || gen !== this.#gen) return;
        const reply = await this.#calls.call({ type: 'auth', token }, this.#options.callTimeoutMs, t);
        if (reply.type === 'authed' && gen === this.#gen) this.#scheduleRefresh(gen, t, reply.expiresAt);
      } catch (err) {
        // Not fatal: the hub ends the connection with 4006 when the old token runs out, and the client
        // reconnects with a fresh one then.
        this.emit(
          'error',
          new SwitchboardClientError('unauthorized', `token refresh failed: ${String(err)}`),
        );
      }
    }, delay);
  }

  #established(gen: number, t: Transport): void {
    if (gen !== this.#gen) return;
    clearTimeout(this.#connectTimer);
    this.#ready = true;
    this.#attempt = 0;
    this.#refusals = 0;
    this.#policy.connected(t.kind);
    if (this.#state !== 'connected') this.#move('connected', 'connected');
    this.emit('connected', { client: this.#clientId!, transport: this.#kind! });
    if (!t.fixedChannels)
      for (const [channel, control] of this.#active()) this.#sendSubscribe(t, channel, control);
    this.#calls.flush(t);
  }

  #sendSubscribe(t: Transport, channel: string, control: SubscriptionControl): void {
    const gen = this.#gen;
    this.#subscribes.send(t, channel, control, () => gen === this.#gen);
  }

  /** SSE: the channel set changed, so the stream is replaced (once per tick) by one resuming every channel. */
  #queueReopen(): void {
    if (this.#reopenQueued) return;
    this.#reopenQueued = true;
    queueMicrotask(() => {
      this.#reopenQueued = false;
      if (this.#state === 'disconnected' || this.#retryTimer !== undefined || this.#transport === undefined)
        return;
      this.#closeTransport();
      void this.#open();
    });
  }

  /** Replaces a connection the hub went silent on; `heartbeat` is the hub's interval (0: none to watch). */
  #watchSilence(gen: number, heartbeat: number): void {
    this.#silence?.stop();
    // 0: a link with no heartbeats to watch (the tab-sharing link, which learns of a dead leader otherwise).
    if (heartbeat <= 0) return;
    const watch = new SilenceWatch(
      heartbeat * this.#options.silenceFactor + this.#options.silenceGraceMs,
      () => {
        const t = this.#transport;
        if (gen !== this.#gen) return;
        if (t === undefined || t.seesHeartbeats || !this.#ready) return this.#fail(gen, 'silence');
        // A native EventSource hides the hub's heartbeat comments: ask the hub whether the stream is alive.
        this.#calls.call({ type: 'ping' }, this.#options.silenceGraceMs + heartbeat, t).then(
          () => gen === this.#gen && watch.start(),
          () => this.#fail(gen, 'silence'),
        );
      },
    );
    this.#silence = watch;
    watch.start();
  }

  /** Gives up on the current transport (timeout, silence) and reconnects. */
  #fail(gen: number, reason: ClientReason): void {
    if (gen !== this.#gen || this.#transport === undefined) return;
    const t = this.#transport;
    const before = !this.#ready;
    this.#closeTransport();
    this.#afterClose(
      t,
      { code: HEARTBEAT_TIMEOUT, reason, reconnect: true, beforeConnected: before },
      reason,
    );
  }

  #onClosed(gen: number, info: CloseInfo): void {
    if (gen !== this.#gen || this.#transport === undefined) return;
    const t = this.#transport;
    this.#closeTransport();
    this.#afterClose(t, info, 'connection_lost');
  }

  #afterClose(t: Transport, info: CloseInfo, closeReason: ClientReason): void {
    // An attempt that never reached `connected` (nothing listening, a refused upgrade or stream, no answer in time)
    // is reported, so an app can tell "still trying" from "cannot get there" and say why.
    const attemptFailed = this.#state === 'connecting';
    const reason = attemptFailed && closeReason === 'connection_lost' ? 'connect_failed' : closeReason;
    if (attemptFailed) this.emit('error', this.#attemptError(t, info, reason));
    if (t.kind === 'websocket') this.#calls.failSentOn(t);
    for (const { control } of this.#subs.values()) control.connectionLost();
    if (info.code === CLOSE_CODES.token_expired.code) this.#tokens.invalidate();
    if (this.#policy.ended(t.kind, info.beforeConnected)) return this.#retry(reason, info.code, true);
    if (info.code === UNAUTHORIZED && this.#tokens.renewable && this.#refusals++ < 1) {
      this.#tokens.invalidate();
      return this.#retry('unauthorized', info.code);
    }
    if (!info.reconnect) {
      this.#drop();
      this.#calls.failAll(`the hub closed the connection (${info.code} ${info.reason})`);
      return this.#move(
        'disconnected',
        info.code === UNAUTHORIZED ? 'unauthorized' : 'server_disconnect',
        info.code,
      );
    }
    this.#retry(reason, info.code);
  }

  /** The `error` event of a failed attempt: the hub's refusal code when it gave one, else what the link said. */
  #attemptError(t: Transport, info: CloseInfo, reason: ClientReason): SwitchboardClientError {
    const where =
      t.kind === 'websocket' ? `the WebSocket to ${this.#base}` : `the SSE stream from ${this.#base}`;
    if (reason === 'connect_timeout') {
      return new SwitchboardClientError(
        'timeout',
        `${where} got no connected frame within ${this.#options.connectTimeoutMs} ms`,
      );
    }
    const said = info.reason === '' ? '' : `: ${info.reason}`;
    return new SwitchboardClientError(
      isErrorCode(info.reason) ? info.reason : 'unavailable',
      `${where} failed before the hub answered (close ${info.code}${said})`,
    );
  }

  #retry(reason: ClientReason, code?: number, immediately = false): void {
    if (this.#state === 'disconnected') return;
    if (this.#state === 'connected') this.#move('connecting', reason, code);
    // A failed attempt: the state stays `connecting`, and the event says why before the next try.
    else
      this.emit('state', {
        from: 'connecting',
        to: 'connecting',
        reason,
        ...(code === undefined ? {} : { code }),
      });
    clearTimeout(this.#retryTimer);
    const delay = immediately ? 0 : backoffDelay(this.#attempt++, this.#options.backoff);
    this.#retryTimer = timer(() => {
      this.#retryTimer = undefined;
      void this.#open();
    }, delay);
  }

  #closeTransport(): void {
    this.#gen++;
    this.#ready = false;
    clearTimeout(this.#connectTimer);
    this.#silence?.stop();
    this.#silence = undefined;
    clearTimeout(this.#refreshTimer);
    this.#subscribes.clear();
    const t = this.#transport;
    this.#transport = undefined;
    t?.close();
  }

  #drop(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#waitingForChannels = false;
    const t = this.#transport;
    this.#closeTransport();
    if (t?.kind === 'websocket') this.#calls.failSentOn(t);
    for (const { control } of this.#subs.values()) control.connectionLost();
  }

  #call(body: CommandBody, options: CallOptions): Promise<ReplyFrame> {
    if (this.#state === 'disconnected') {
      return Promise.reject(
        new SwitchboardClientError('closed', 'the client is disconnected: call connect()'),
      );
    }
    if ('channel' in body) {
      // Checked here too, so a bad name costs no round trip (and no failed request in a browser's console).
      const problem = channelError(body.channel);
      if (problem !== null)
        return Promise.reject(new SwitchboardClientError('invalid_channel', problem, body.channel));
    }
    const t = this.#ready ? this.#transport : undefined;
    return this.#calls.call(body, options.timeoutMs ?? this.#options.callTimeoutMs, t);
  }

  #expect<K extends ReplyFrame['type']>(frame: ReplyFrame, type: K): Extract<ReplyFrame, { type: K }> {
    if (frame.type !== type)
      throw new SwitchboardClientError('internal', `expected ${type}, got ${frame.type}`);
    return frame as Extract<ReplyFrame, { type: K }>;
  }

  #move(to: ClientState, reason: ClientReason, code?: number): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.emit('state', { from, to, reason, ...(code === undefined ? {} : { code }) });
  }
}
