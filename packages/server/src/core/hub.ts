import type { Publication } from '@switchboard/engine-kit';
import { cursorPrefix, type ServerFrame } from '@switchboard/protocol';
import { traceFanout, tracingEnabled } from '../observability/tracing.ts';
import { ChannelStats } from './channel-stats.ts';
import { PreparedFrame, PreparedPublication } from './prepared.ts';
import type { Subscription } from './subscription.ts';

const EMPTY: ReadonlySet<Subscription> = new Set();

export interface HubEvents {
  onFanout(delivered: number): void;
}

/**
 * Everything the hub keeps for one channel while it has local subscribers, in one record so a publication costs
 * one lookup by channel name (not one each for its subscribers, alias, traffic and cursor prefix). Created with
 * the channel's first local subscriber, dropped with its last.
 */
export class ChannelEntry {
  readonly subscribers = new Set<Subscription>();
  /** Traffic on this node (for the operators' console). */
  readonly stats: ChannelStats;
  /**
   * The channel's alias (wire version 2's compact frames name channels by it): node-wide, so a publication's
   * compact bytes are still built once for every connection, and never reused in the process's lifetime, so a
   * frame written under an old alias can never be read as another channel.
   */
  readonly sid: number;
  /** The prefix of every single-channel SSE cursor of this channel (`cursorPrefix([channel])`), hashed once. */
  readonly cursorPrefix: string;

  constructor(channel: string, sid: number, now: number) {
    this.sid = sid;
    this.stats = new ChannelStats(now);
    this.cursorPrefix = cursorPrefix([channel]);
  }
}

/**
 * The local registry and fan-out: which subscriptions on this node listen to which channel, and handing each
 * publication to them, serialized once. The engine hands publications over complete and in offset order
 * (engine-kit's `Broker` guarantees; its `Sequencer` fills gaps), so the hub checks none. It knows nothing of
 * sockets or of other nodes.
 */
export class Hub {
  readonly #channels = new Map<string, ChannelEntry>();
  readonly #events: HubEvents;
  #nextSid = 1;

  constructor(events: HubEvents) {
    this.#events = events;
  }

  /** Registers a subscription; true when it is the channel's first on this node (the broker must subscribe). */
  add(sub: Subscription): boolean {
    let entry = this.#channels.get(sub.channel);
    const first = entry === undefined;
    if (entry === undefined) {
      entry = new ChannelEntry(sub.channel, this.#nextSid++, Date.now());
      this.#channels.set(sub.channel, entry);
    }
    entry.subscribers.add(sub);
    sub.sid = entry.sid;
    return first;
  }

  /** Unregisters; true when it was the channel's last on this node (the broker may unsubscribe). */
  remove(sub: Subscription): boolean {
    const entry = this.#channels.get(sub.channel);
    if (entry === undefined || !entry.subscribers.delete(sub)) return false;
    if (entry.subscribers.size > 0) return false;
    this.#channels.delete(sub.channel);
    return true;
  }

  /** The channel's record while it has local subscribers; undefined otherwise. */
  entry(channel: string): ChannelEntry | undefined {
    return this.#channels.get(channel);
  }

  subscriberCount(channel: string): number {
    return this.#channels.get(channel)?.subscribers.size ?? 0;
  }

  *channels(): IterableIterator<[string, number]> {
    for (const [name, entry] of this.#channels) yield [name, entry.subscribers.size];
  }

  /** A channel's traffic on this node, while it has local subscribers; else undefined. */
  stats(channel: string): ChannelStats | undefined {
    return this.#channels.get(channel)?.stats;
  }

  /** The local subscriptions of a channel (the console lists who they belong to). */
  subscribers(channel: string): ReadonlySet<Subscription> {
    return this.#channels.get(channel)?.subscribers ?? EMPTY;
  }

  get channelCount(): number {
    return this.#channels.size;
  }

  /** A publication from the broker: the channel's next one. One lookup by name for all the channel's state. */
  onPublication(pub: Publication): void {
    const entry = this.#channels.get(pub.channel);
    if (entry === undefined) return;
    // Without a tracing SDK (the default) no span and no closure per publication.
    if (tracingEnabled()) traceFanout(pub.channel, () => this.#fanout(pub, entry));
    else this.#fanout(pub, entry);
  }

  #fanout(pub: Publication, entry: ChannelEntry): number {
    const { subscribers } = entry;
    const prepared = new PreparedPublication(pub, entry.sid, entry.cursorPrefix);
    for (const sub of subscribers) sub.deliver(prepared);
    entry.stats.record(pub, subscribers.size, Date.now());
    this.#events.onFanout(subscribers.size);
    return subscribers.size;
  }

  /** A frame for every live subscriber of the channel on this node (join / leave), serialized once for all. */
  broadcast(channel: string, frame: ServerFrame): void {
    const entry = this.#channels.get(channel);
    if (entry === undefined) return;
    let prepared: PreparedFrame | undefined;
    for (const sub of entry.subscribers) {
      if (sub.state !== 'live') continue;
      prepared ??= new PreparedFrame(frame);
      sub.owner.sendPrepared(prepared);
    }
  }
}
