import type { HistoryPolicy, HistoryQuery, HistoryResult, Publication } from '@switchboard/engine-kit';
import { newEpoch, type Position } from '@switchboard/protocol';

const DEFAULT_META_TTL_MS = 24 * 60 * 60_000;

/**
 * One channel's stream in memory: its epoch, its last offset and its bounded history (a FIFO array trimmed from
 * the front, amortized O(1) per publication).
 */
export class MemoryStream {
  readonly epoch = newEpoch();
  offset = 0;
  /** Last publish or top read: the metadata outlives the publications by `metaTtlMs` from here. */
  touched = Date.now();
  /** Set from the channel's policy on each publish; a stream only ever read keeps the default. */
  metaTtlMs = DEFAULT_META_TTL_MS;
  #pubs: Publication[] = [];
  #head = 0;
  #size = 0;
  #ttlMs = 0;

  get position(): Position {
    return { epoch: this.epoch, offset: this.offset };
  }

  append(
    channel: string,
    data: string,
    policy: HistoryPolicy,
    info: Publication['info'],
    now: number,
  ): Publication {
    this.offset += 1;
    this.touched = now;
    this.metaTtlMs = policy.metaTtlMs;
    this.#size = policy.size;
    this.#ttlMs = policy.ttlMs;
    const publication: Publication =
      info === undefined
        ? { channel, epoch: this.epoch, offset: this.offset, data, time: now }
        : { channel, epoch: this.epoch, offset: this.offset, data, info, time: now };
    if (policy.size > 0) this.#pubs.push(publication);
    this.trim(now);
    return publication;
  }

  /** Drops what is over the size or the age limit. */
  trim(now: number): void {
    let head = this.#head;
    const live = this.#pubs.length - head;
    if (live > this.#size) head += live - this.#size;
    const oldest = now - this.#ttlMs;
    while (head < this.#pubs.length && this.#pubs[head]!.time < oldest) head++;
    this.#head = head;
    // Compact once the dead prefix is as long as the live part, so memory stays bounded by the size limit.
    if (head > 0 && head >= this.#pubs.length - head) {
      this.#pubs = this.#pubs.slice(head);
      this.#head = 0;
    }
  }

  /** True when nothing is held and the metadata has outlived its time to live. */
  expired(now: number): boolean {
    return this.#pubs.length - this.#head === 0 && now - this.touched > this.metaTtlMs;
  }

  read(query: HistoryQuery, now: number): HistoryResult {
    this.trim(now);
    const held = this.#pubs.slice(this.#head);
    const top = this.position;
    const since = query.since;
    const limit = query.limit;
    if (since === undefined) {
      const publications = limit === undefined ? held : limit === 0 ? [] : held.slice(-limit);
      return { top, publications, recovered: true };
    }
    const sameEpoch = since.epoch === this.epoch;
    const notAhead = since.offset <= this.offset;
    const firstHeld = held[0]?.offset ?? this.offset + 1;
    const recovered =
      sameEpoch && notAhead && (since.offset === this.offset || firstHeld <= since.offset + 1);
    if (!recovered) {
      // Not recoverable: the newest publications, so a reader still sees the latest state.
      const publications = limit === undefined ? held : limit === 0 ? [] : held.slice(-limit);
      return { top, publications, recovered: false };
    }
    const after = held.filter((p) => p.offset > since.offset);
    return { top, publications: limit === undefined ? after : after.slice(0, limit), recovered: true };
  }
}
