import type { ClientInfo, ErrorCode, Position, ServerFrame } from '@switchboard/protocol';
import type { Codec } from './codec.ts';
import { Emitter } from './emitter.ts';
import { SwitchboardClientError } from './errors.ts';
import type { CallOptions, HistoryOptions, HistoryResult, Published } from './types.ts';

export type SubscriptionState = 'unsubscribed' | 'subscribing' | 'subscribed';

/** Why a subscription changed state. */
export type SubscriptionReason =
  /** `subscribe()` was called. */
  | 'subscribe'
  /** The hub confirmed the subscription (first time or after a reconnect). */
  | 'subscribed'
  /** `unsubscribe()` was called. */
  | 'unsubscribe'
  /** The connection went away; the subscription resumes from its position when the client reconnects. */
  | 'connection_lost'
  /** The hub refused the subscription (the event's `code` says why); it will not retry by itself. */
  | 'refused';

export interface SubscriptionStateEvent {
  readonly from: SubscriptionState;
  readonly to: SubscriptionState;
  readonly reason: SubscriptionReason;
  /** With `refused`: the hub's error code. */
  readonly code?: ErrorCode;
}

/** A publication on the channel. `T` is the payload type the app expects (not checked at run time). */
export interface Message<T> extends Position {
  readonly channel: string;
  readonly data: T;
  /** Who published, when a client (not the HTTP API) did. */
  readonly info?: ClientInfo;
}

export interface SubscribedEvent extends Position {
  /**
   * Only when the subscription asked to resume from a position: true when every missed publication follows;
   * **false when the hub could not recover them** (trimmed, expired or a new epoch): reload the app's state.
   */
  readonly recovered?: boolean;
  /** The channel keeps history, so later resumes can succeed. */
  readonly recoverable: boolean;
  /** The position asked for, when resuming. */
  readonly since?: Position;
}

export interface SubscriptionEvents<T> extends Record<string, unknown> {
  state: SubscriptionStateEvent;
  message: Message<T>;
  subscribed: SubscribedEvent;
  join: ClientInfo;
  leave: ClientInfo;
  error: SwitchboardClientError;
}

/** What a subscription needs from its client. */
export interface SubscriptionOwner {
  wantSubscribe(channel: string): void;
  wantUnsubscribe(channel: string): void;
  publish(
    channel: string,
    data: unknown,
    options?: CallOptions & { idempotencyKey?: string },
  ): Promise<Published>;
  history<T>(channel: string, options?: HistoryOptions): Promise<HistoryResult<T>>;
  presence(channel: string, options?: CallOptions): Promise<ClientInfo[]>;
}

/** The client's side of a subscription: how frames and connection changes reach it. */
export interface SubscriptionControl {
  /** The position to resume after, recorded as what this (re)subscription asked for. */
  resumePosition(): Position | undefined;
  frame(frame: ServerFrame): void;
  connectionLost(): void;
  refused(code: ErrorCode, message: string): void;
}

/**
 * One channel of a client, with its own state machine (`unsubscribed` → `subscribing` → `subscribed`, moved
 * only by `#move`) and its resume position: the last `{epoch, offset}` it delivered. It delivers each
 * publication once, in order: anything at or before its position in the same epoch is a duplicate and dropped.
 */
export class Subscription<T = unknown> extends Emitter<SubscriptionEvents<T>> {
  readonly channel: string;
  readonly #owner: SubscriptionOwner;
  #state: SubscriptionState = 'unsubscribed';
  #position: Position | undefined;
  /** Set by `client.subscribe(channel, { codec })`: payloads in and out go through it. */
  codec: Codec<T> | undefined;
  #asked: Position | undefined;

  constructor(
    channel: string,
    owner: SubscriptionOwner,
    since: Position | undefined,
    register: (control: SubscriptionControl) => void,
  ) {
    super();
    this.channel = channel;
    this.#owner = owner;
    this.#position = since;
    register({
      resumePosition: () => {
        this.#asked = this.#position;
        return this.#position;
      },
      frame: (f) => this.#frame(f),
      connectionLost: () => {
        if (this.#state === 'subscribed') this.#move('subscribing', 'connection_lost');
      },
      refused: (code, message) => {
        this.#move('unsubscribed', 'refused', code);
        this.emit('error', new SwitchboardClientError(code, message, this.channel));
      },
    });
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** The last position delivered (or confirmed by the hub): where a resume starts. */
  get position(): Position | undefined {
    return this.#position;
  }

  /** Starts (or restarts) the subscription; it goes `subscribed` once the hub confirms, after every reconnect. */
  subscribe(): this {
    if (this.#state !== 'unsubscribed') return this;
    this.#move('subscribing', 'subscribe');
    this.#owner.wantSubscribe(this.channel);
    return this;
  }

  unsubscribe(): void {
    if (this.#state === 'unsubscribed') return;
    this.#move('unsubscribed', 'unsubscribe');
    this.#owner.wantUnsubscribe(this.channel);
  }

  /**
   * Resolves once the subscription is `subscribed` (at once if it is); rejects if it becomes `unsubscribed`
   * first (`refused` or `unsubscribe()`). Publications made after it resolves are delivered to it.
   */
  ready(): Promise<void> {
    if (this.#state === 'subscribed') return Promise.resolve();
    if (this.#state === 'unsubscribed') {
      return Promise.reject(
        new SwitchboardClientError('not_subscribed', 'the subscription is not active', this.channel),
      );
    }
    return new Promise((resolve, reject) => {
      const off = this.on('state', ({ to, code }) => {
        if (to === 'subscribed') {
          off();
          resolve();
        } else if (to === 'unsubscribed') {
          off();
          reject(
            new SwitchboardClientError(
              code ?? 'not_subscribed',
              'the subscription ended first',
              this.channel,
            ),
          );
        }
      });
    });
  }

  /** Publishes to the channel, through its codec when there is one (a value it refuses rejects the call). */
  async publish(data: T, options?: CallOptions & { idempotencyKey?: string }): Promise<Published> {
    const codec = this.codec;
    return this.#owner.publish(this.channel, codec === undefined ? data : codec.encode(data), options);
  }

  /** The channel's history, decoded by the codec when there is one (a payload it refuses rejects the call). */
  async history(options?: HistoryOptions): Promise<HistoryResult<T>> {
    const result = await this.#owner.history<T>(this.channel, options);
    const codec = this.codec;
    if (codec === undefined) return result;
    return {
      ...result,
      publications: result.publications.map((p) => ({ ...p, data: codec.decode(p.data) })),
    };
  }

  presence(options?: CallOptions): Promise<ClientInfo[]> {
    return this.#owner.presence(this.channel, options);
  }

  #frame(frame: ServerFrame): void {
    if (this.#state === 'unsubscribed') return;
    switch (frame.type) {
      case 'subscribed': {
        const asked = this.#asked;
        this.#asked = undefined;
        const resumed = asked !== undefined && frame.recovered === true;
        if (!resumed) this.#position = { epoch: frame.epoch, offset: frame.offset };
        const event: SubscribedEvent = {
          epoch: frame.epoch,
          offset: frame.offset,
          recoverable: frame.recoverable,
          ...(asked === undefined ? {} : { since: asked, recovered: frame.recovered === true }),
        };
        if (this.#state !== 'subscribed') this.#move('subscribed', 'subscribed');
        this.emit('subscribed', event);
        return;
      }
      case 'message': {
        if (this.#state !== 'subscribed') return;
        const p = this.#position;
        if (p !== undefined && p.epoch === frame.epoch && frame.offset <= p.offset) return;
        this.#position = { epoch: frame.epoch, offset: frame.offset };
        let data = frame.data as T;
        if (this.codec !== undefined) {
          try {
            data = this.codec.decode(frame.data);
          } catch (err) {
            const reason = err instanceof Error ? err.message : String(err);
            this.emit(
              'error',
              new SwitchboardClientError('codec', `could not decode: ${reason}`, this.channel),
            );
            return;
          }
        }
        const message: Message<T> = {
          channel: this.channel,
          epoch: frame.epoch,
          offset: frame.offset,
          data,
          ...(frame.info === undefined ? {} : { info: frame.info }),
        };
        this.emit('message', message);
        return;
      }
      case 'join':
      case 'leave':
        this.emit(frame.type, frame.client);
        return;
    }
  }

  #move(to: SubscriptionState, reason: SubscriptionReason, code?: ErrorCode): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.emit('state', { from, to, reason, ...(code === undefined ? {} : { code }) });
  }
}
