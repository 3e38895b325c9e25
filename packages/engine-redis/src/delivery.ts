import type { BrokerHandler, HistoryStore, Publication } from '@switchboard/engine-kit';
import type { Position } from '@switchboard/protocol';

/** Most live publications held for one channel while it catches up; past this they are dropped (see below). */
export const MAX_QUEUED = 10_000;
/** Publications read from history per request while catching up. */
const BATCH = 500;
/** Pause before a catch-up that could not read history tries again. */
const RETRY_MS = 200;

interface Track {
  /** The last position handed to the hub for this channel. */
  last: Position | undefined;
  /** While catching up, live publications wait here in arrival order. */
  queue: Publication[] | null;
}

/**
 * Between the pub/sub connection and the hub: remembers the last position handed over per channel, so that what
 * pub/sub cannot tell the hub, this can:
 * - after the subscriber connection was lost and came back (CLIENT KILL, a Redis restart), `resync()` hands the
 *   hub everything published meanwhile, from history, even if nothing is ever published again;
 * - when a publication arrives in a new epoch past offset 1 (Redis lost the stream and publishing resumed before
 *   this node resubscribed), the new epoch's earlier publications are read first. The hub only fills gaps within
 *   one epoch; across an epoch change it would not know anything was missed.
 * - a jump in offsets within an epoch is filled from history here too, before anything later is handed on (the
 *   hub would fill it as well; doing it here keeps this class's promise, in order and complete, on its own).
 */
export class Delivery {
  readonly #tracks = new Map<string, Track>();
  readonly #history: HistoryStore;
  #handler: BrokerHandler | undefined;

  constructor(history: HistoryStore) {
    this.#history = history;
  }

  set handler(handler: BrokerHandler) {
    this.#handler = handler;
  }

  get handlerSet(): boolean {
    return this.#handler !== undefined;
  }

  watch(channel: string): void {
    if (!this.#tracks.has(channel)) this.#tracks.set(channel, { last: undefined, queue: null });
  }

  unwatch(channel: string): void {
    this.#tracks.delete(channel);
  }

  watching(channel: string): boolean {
    return this.#tracks.has(channel);
  }

  /** A position learned outside pub/sub (the stream's top when the node subscribed): catch-up starts there. */
  notePosition(channel: string, position: Position): void {
    const track = this.#tracks.get(channel);
    if (track !== undefined && track.last === undefined) track.last = position;
  }

  onPublication(pub: Publication): void {
    const track = this.#tracks.get(pub.channel);
    if (track === undefined) return;
    if (track.queue !== null) {
      // Dropping past the bound loses nothing for good: later publications show the hub a gap to fill.
      if (track.queue.length < MAX_QUEUED) track.queue.push(pub);
      return;
    }
    const last = track.last;
    if (last !== undefined && (last.epoch === pub.epoch ? pub.offset > last.offset + 1 : pub.offset > 1)) {
      track.queue = [pub];
      // A jump within the epoch is read from where this node is; in a new epoch, from the epoch's start.
      void this.#catchUp(
        pub.channel,
        track,
        last.epoch === pub.epoch ? last : { epoch: pub.epoch, offset: 0 },
      );
      return;
    }
    this.#hand(track, pub);
  }

  onMember(kind: 'join' | 'leave', channel: string, client: Publication['info'] & object): void {
    if (!this.#tracks.has(channel)) return;
    if (kind === 'join') this.#handler?.onJoin(channel, client);
    else this.#handler?.onLeave(channel, client);
  }

  /** The subscriber connection came back: hand the hub whatever every watched channel missed meanwhile. */
  resync(): void {
    for (const [channel, track] of this.#tracks) {
      if (track.queue !== null) continue; // already catching up; it reads history after this moment anyway
      track.queue = [];
      void this.#catchUp(channel, track, track.last);
    }
  }

  /** Stops every catch-up and forgets every channel (the engine is closing). */
  clear(): void {
    this.#tracks.clear();
  }

  async #catchUp(channel: string, track: Track, from: Position | undefined): Promise<void> {
    let since = from;
    try {
      for (let round = 0; round < 1_000; round++) {
        const r = await this.#history.read(
          channel,
          since === undefined ? { limit: 1 } : { since, limit: BATCH },
        );
        if (this.#tracks.get(channel) !== track) return;
        if (since !== undefined && !r.recovered && r.top.epoch !== since.epoch) {
          since = { epoch: r.top.epoch, offset: 0 }; // the stream was lost: its new life, from the start
          continue;
        }
        for (const p of r.publications) this.#hand(track, p);
        const newest = r.publications.at(-1);
        if (since === undefined || !r.recovered || newest === undefined || r.publications.length < BATCH)
          break;
        since = { epoch: newest.epoch, offset: newest.offset };
      }
    } catch {
      // History unreachable (Redis away, or the command connection not back yet): try again shortly, keeping
      // what is queued. A timer, never a retry loop: a promise loop that fails at once would starve the event
      // loop, and with it the reconnection it waits for.
      if (this.#tracks.get(channel) === track) {
        const timer = setTimeout(() => void this.#catchUp(channel, track, since), RETRY_MS);
        timer.unref();
      }
      return;
    }
    if (this.#tracks.get(channel) !== track) return;
    const queue = track.queue ?? [];
    track.queue = null;
    for (const p of queue) this.onPublication(p);
  }

  #hand(track: Track, pub: Publication): void {
    const last = track.last;
    if (last !== undefined && last.epoch === pub.epoch && pub.offset <= last.offset) return;
    track.last = { epoch: pub.epoch, offset: pub.offset };
    this.#handler?.onPublication(pub);
  }
}
