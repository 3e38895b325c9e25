import type { ErrorFrame, SubscribedFrame } from '@switchboard/protocol';
import type { SubscriptionControl } from './subscription.ts';
import type { TokenOption } from './tokens.ts';
import type { Transport } from './transport/types.ts';

/**
 * The client's subscribe bookkeeping, apart from its connection state machine: the `subscribe` commands in
 * flight (by id, and the latest per channel, so the answer to one that an unsubscribe and a newer subscribe
 * overtook says nothing), and each channel's subscription token. The answers themselves go to the channel's
 * `Subscription`.
 */
export class Subscribes {
  /** Subscribe ids in flight → their channel. */
  readonly #channels = new Map<string, string>();
  /** Channel → the id of its latest subscribe. */
  readonly #latest = new Map<string, string>();
  readonly #tokens = new Map<string, TokenOption>();
  #nextId = 1;

  /** The channel's subscription token (or a callback for a fresh one at every subscribe). */
  setToken(channel: string, token: TokenOption): void {
    this.#tokens.set(channel, token);
  }

  /**
   * Sends `subscribe` for `channel` on `t`, resuming from the subscription's position, with its subscription
   * token when it has one. `current()` says whether `t` is still the client's connection when an asynchronous
   * token comes; a token callback that fails refuses the subscription.
   */
  send(t: Transport, channel: string, control: SubscriptionControl, current: () => boolean): void {
    const id = `s${this.#nextId++}`;
    this.#channels.set(id, channel);
    this.#latest.set(channel, id);
    const since = control.resumePosition();
    const command =
      since === undefined
        ? { type: 'subscribe' as const, id, channel }
        : { type: 'subscribe' as const, id, channel, since };
    const token = this.#tokens.get(channel);
    if (token === undefined) return t.send(command);
    Promise.resolve(typeof token === 'string' ? token : token()).then(
      (value) => {
        // Sent only if nothing overtook it meanwhile (a reconnect, an unsubscribe, a newer subscribe).
        if (current() && this.#latest.get(channel) === id) t.send({ ...command, token: value });
      },
      (err: unknown) => {
        if (!current() || this.#latest.get(channel) !== id) return;
        this.#latest.delete(channel);
        control.refused('unauthorized', `the subscription token callback failed: ${String(err)}`);
      },
    );
  }

  /** A `subscribed` frame: its subscribe is answered. */
  subscribed(frame: SubscribedFrame): void {
    if (typeof frame.id !== 'string') return;
    this.#channels.delete(frame.id);
    if (this.#latest.get(frame.channel) === frame.id) this.#latest.delete(frame.channel);
  }

  /**
   * An `error` frame. Undefined when it answers no subscribe; else the channel, and whether it refuses the
   * channel's latest subscribe (an error for one that was overtaken says nothing now).
   */
  refused(frame: ErrorFrame): { readonly channel: string; readonly latest: boolean } | undefined {
    if (typeof frame.id !== 'string') return undefined;
    const channel = this.#channels.get(frame.id);
    if (channel === undefined) return undefined;
    this.#channels.delete(frame.id);
    const latest = this.#latest.get(channel) === frame.id;
    if (latest) this.#latest.delete(channel);
    return { channel, latest };
  }

  /** `unsubscribe()`: the answer to an earlier subscribe of the channel says nothing now. */
  forget(channel: string): void {
    this.#latest.delete(channel);
  }

  /** The connection ended: no answer will come. */
  clear(): void {
    this.#channels.clear();
    this.#latest.clear();
  }
}
