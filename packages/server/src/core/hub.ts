import type { Publication } from '@switchboard/engine-kit';
import type { ServerFrame } from '@switchboard/protocol';
import { traceFanout, tracingEnabled } from '../observability/tracing.ts';
import { ChannelStats } from './channel-stats.ts';
import { PreparedFrame, PreparedPublication } from './prepared.ts';
import type { Subscription } from './subscription.ts';

const EMPTY: ReadonlySet<Subscription> = new Set();

export interface HubEvents {
  onFanout(delivered: number): void;
}

/**
 * The local registry and fan-out: which subscriptions on this node listen to which channel, and handing each
 * publication to them, serialized once. The engine hands publications over complete and in offset order
 * (engine-kit's `Broker` guarantees; its `Sequencer` fills gaps), so the hub checks none. It knows nothing of
 * sockets or of other nodes.
 */
export class Hub {
  readonly #channels = new Map<string, Set<Subscription>>();
  /** Traffic per channel with local subscribers (for the operators' console); forgotten with the channel. */
  readonly #stats = new Map<string, ChannelStats>();
  readonly #events: HubEvents;
  /**
   * Each channel's alias while it has local subscribers (wire version 2's compact frames name channels by it):
   * node-wide, so a publication's compact bytes are still built once for every connection, and never reused in
   * the process's lifetime, so a frame written under an old alias can never be read as another channel.
   */
  readonly #sids = new Map<string, number>();
  #nextSid = 1;

  constructor(events: HubEvents) {
    this.#events = events;
  }

  /** Registers a subscription; true when it is the channel's first on this node (the broker must subscribe). */
  add(sub: Subscription): boolean {
    const subscribers = this.#channels.get(sub.channel);
    if (subscribers === undefined) {
      this.#channels.set(sub.channel, new Set([sub]));
      this.#stats.set(sub.channel, new ChannelStats(Date.now()));
      const sid = this.#nextSid++;
      this.#sids.set(sub.channel, sid);
      sub.sid = sid;
      return true;
    }
    subscribers.add(sub);
    sub.sid = this.#sids.get(sub.channel) ?? 0;
    return false;
  }

  /** Unregisters; true when it was the channel's last on this node (the broker may unsubscribe). */
  remove(sub: Subscription): boolean {
    const subscribers = this.#channels.get(sub.channel);
    if (subscribers === undefined || !subscribers.delete(sub)) return false;
    if (subscribers.size > 0) return false;
    this.#channels.delete(sub.channel);
    this.#stats.delete(sub.channel);
    this.#sids.delete(sub.channel);
    return true;
  }

  /** The channel's alias while it has local subscribers (see `#sids`); undefined otherwise. */
  sid(channel: string): number | undefined {
    return this.#sids.get(channel);
  }

  subscriberCount(channel: string): number {
    return this.#channels.get(channel)?.size ?? 0;
  }

  *channels(): IterableIterator<[string, number]> {
    for (const [name, subscribers] of this.#channels) yield [name, subscribers.size];
  }

  /** A channel's traffic on this node, while it has local subscribers; else undefined. */
  stats(channel: string): ChannelStats | undefined {
    return this.#stats.get(channel);
  }

  /** The local subscriptions of a channel (the console lists who they belong to). */
  subscribers(channel: string): ReadonlySet<Subscription> {
    return this.#channels.get(channel) ?? EMPTY;
  }

  get channelCount(): number {
    return this.#channels.size;
  }

  /** A publication from the broker: the channel's next one. */
  onPublication(pub: Publication): void {
    const subscribers = this.#channels.get(pub.channel);
    if (subscribers === undefined) return;
    // Without a tracing SDK (the default) no span and no closure per publication.
    if (tracingEnabled()) traceFanout(pub.channel, () => this.#fanout(pub, subscribers));
    else this.#fanout(pub, subscribers);
  }

  #fanout(pub: Publication, subscribers: ReadonlySet<Subscription>): number {
    const prepared = new PreparedPublication(pub, this.#sids.get(pub.channel));
    for (const sub of subscribers) sub.deliver(prepared);
    this.#stats.get(pub.channel)?.record(pub, subscribers.size, Date.now());
    this.#events.onFanout(subscribers.size);
    return subscribers.size;
  }

  /** A frame for every live subscriber of the channel on this node (join / leave), serialized once for all. */
  broadcast(channel: string, frame: ServerFrame): void {
    const subscribers = this.#channels.get(channel);
    if (subscribers === undefined) return;
    let prepared: PreparedFrame | undefined;
    for (const sub of subscribers) {
      if (sub.state !== 'live') continue;
      prepared ??= new PreparedFrame(frame);
      sub.owner.sendPrepared(prepared);
    }
  }
}
