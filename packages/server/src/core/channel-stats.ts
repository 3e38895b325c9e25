import type { Publication } from '@switchboard/engine-kit';

/** Length of one rate window: a channel's rates are its counts over the last whole window. */
export const RATE_WINDOW_MS = 5_000;

/**
 * One channel's traffic on this node, for the operators' console: publications taken from the engine,
 * deliveries handed to its subscribers, their rates over the last whole {@link RATE_WINDOW_MS}, and the last
 * position seen. Updated once per publication (never per subscriber); reads roll the window too.
 */
export class ChannelStats {
  published = 0;
  delivered = 0;
  /** The last position seen, as two fields: recording a publication allocates nothing. */
  #lastEpoch = '';
  #lastOffset = 0;
  #windowStart: number;
  #windowPublished = 0;
  #windowDelivered = 0;
  #rates = { published: 0, delivered: 0 };

  constructor(now: number) {
    this.#windowStart = now;
  }

  record(pub: Publication, delivered: number, now: number): void {
    this.#roll(now);
    this.published++;
    this.delivered += delivered;
    this.#windowPublished++;
    this.#windowDelivered += delivered;
    this.#lastEpoch = pub.epoch;
    this.#lastOffset = pub.offset;
  }

  /** The last position seen; null before the first publication. */
  get last(): { readonly epoch: string; readonly offset: number } | null {
    return this.#lastEpoch === '' ? null : { epoch: this.#lastEpoch, offset: this.#lastOffset };
  }

  /** Per second, over the last whole window (0 until one has passed). */
  rates(now: number): { readonly published: number; readonly delivered: number } {
    this.#roll(now);
    return this.#rates;
  }

  #roll(now: number): void {
    const elapsed = now - this.#windowStart;
    if (elapsed < RATE_WINDOW_MS) return;
    // More than one window gone: the last whole one was quiet.
    const quiet = elapsed >= 2 * RATE_WINDOW_MS;
    this.#rates = quiet
      ? { published: 0, delivered: 0 }
      : {
          published: this.#windowPublished / (RATE_WINDOW_MS / 1000),
          delivered: this.#windowDelivered / (RATE_WINDOW_MS / 1000),
        };
    this.#windowStart = now - (elapsed % RATE_WINDOW_MS);
    this.#windowPublished = 0;
    this.#windowDelivered = 0;
  }
}
