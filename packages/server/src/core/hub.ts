import type { HistoryStore, Publication } from '@switchboard/engine-kit';
import type { Position, ServerFrame } from '@switchboard/protocol';
import { PreparedPublication } from './prepared.ts';
import type { Subscription } from './subscription.ts';

interface ChannelEntry {
  readonly subscribers: Set<Subscription>;
  /** Last position handed to subscribers on this node; gaps after it are filled from history. */
  last: Position | undefined;
  /** While a gap is being filled, later publications wait here, in arrival order. */
  queue: Publication[] | null;
}

export interface HubEvents {
  /** A gap could not be filled completely (history trimmed or unreachable): subscribers saw a jump. */
  onGapUnfilled(channel: string, from: Position, reason: string): void;
  onFanout(delivered: number): void;
}

/**
 * The local registry and fan-out: which subscriptions on this node listen to which channel, and handing each
 * publication to them, in offset order, serialized once. It knows nothing of sockets or of other nodes.
 */
export class Hub {
  readonly #channels = new Map<string, ChannelEntry>();
  readonly #history: HistoryStore;
  readonly #events: HubEvents;

  constructor(history: HistoryStore, events: HubEvents) {
    this.#history = history;
    this.#events = events;
  }

  /** Registers a subscription; true when it is the channel's first on this node (the broker must subscribe). */
  add(sub: Subscription): boolean {
    let entry = this.#channels.get(sub.channel);
    const first = entry === undefined;
    if (entry === undefined) {
      entry = { subscribers: new Set(), last: undefined, queue: null };
      this.#channels.set(sub.channel, entry);
    }
    entry.subscribers.add(sub);
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

  /** Records a stream position learned outside the broker (a subscriber read the top), so gaps after it show. */
  notePosition(channel: string, position: Position): void {
    const entry = this.#channels.get(channel);
    if (entry === undefined) return;
    // Only a first position: moving `last` forward here could drop publications still in flight to live subscribers.
    if (entry.last === undefined) entry.last = position;
  }

  subscriberCount(channel: string): number {
    return this.#channels.get(channel)?.subscribers.size ?? 0;
  }

  *channels(): IterableIterator<[string, number]> {
    for (const [name, entry] of this.#channels) yield [name, entry.subscribers.size];
  }

  get channelCount(): number {
    return this.#channels.size;
  }

  /** A publication from the broker. */
  onPublication(pub: Publication): void {
    const entry = this.#channels.get(pub.channel);
    if (entry === undefined) return;
    if (entry.queue !== null) {
      entry.queue.push(pub);
      return;
    }
    const last = entry.last;
    if (last !== undefined && last.epoch === pub.epoch) {
      if (pub.offset <= last.offset) return; // already delivered (a duplicate from the broker)
      if (pub.offset > last.offset + 1) {
        entry.queue = [pub];
        void this.#fillGap(pub.channel, entry, last);
        return;
      }
    }
    this.#fanout(entry, pub);
  }

  /** A frame for every subscriber of the channel on this node (join / leave). */
  broadcast(
    channel: string,
    frame: ServerFrame,
    send: (sub: Subscription, frame: ServerFrame) => void,
  ): void {
    const entry = this.#channels.get(channel);
    if (entry === undefined) return;
    for (const sub of entry.subscribers) if (sub.state === 'live') send(sub, frame);
  }

  #fanout(entry: ChannelEntry, pub: Publication): void {
    entry.last = { epoch: pub.epoch, offset: pub.offset };
    const prepared = new PreparedPublication(pub);
    for (const sub of entry.subscribers) sub.deliver(prepared);
    this.#events.onFanout(entry.subscribers.size);
  }

  async #fillGap(channel: string, entry: ChannelEntry, from: Position): Promise<void> {
    try {
      const result = await this.#history.read(channel, { since: from });
      if (!result.recovered) this.#events.onGapUnfilled(channel, from, 'history no longer holds the gap');
      for (const p of result.publications) this.#deliverInOrder(entry, p);
    } catch (err) {
      this.#events.onGapUnfilled(channel, from, err instanceof Error ? err.message : 'history read failed');
    }
    const queue = entry.queue ?? [];
    entry.queue = null;
    for (const p of queue) this.#deliverInOrder(entry, p);
  }

  #deliverInOrder(entry: ChannelEntry, pub: Publication): void {
    const last = entry.last;
    if (last !== undefined && last.epoch === pub.epoch && pub.offset <= last.offset) return;
    this.#fanout(entry, pub);
  }
}
