import type { Position } from '@switchboard/protocol';
import type {
  BrokerHandler,
  HistoryQuery,
  HistoryResult,
  HistoryStore,
  Publication,
  ResyncCause,
} from './types.ts';

/** The bounds of a sequencer; engines use `SEQUENCER_DEFAULTS`. */
export interface SequencerLimits {
  /**
   * Most live publications held for one channel while it catches up from history. One more and the queue
   * overflows: everything held is dropped (history has it: engines append before they deliver) and read again
   * from history once the catch-up has read up to then. Memory per channel stays bounded; nothing history still
   * holds is lost.
   */
  readonly maxQueued: number;
  /** Publications asked of history per read while catching up. */
  readonly batch: number;
  /** Pause before the first retry of a failed history read; it doubles with each retry, up to `maxRetryMs`. */
  readonly retryMs: number;
  readonly maxRetryMs: number;
  /**
   * Failed history reads one catch-up tries before it gives up: the resync is then `recovered: false` and what
   * was held is handed on as it is, so an unreachable history holds a channel back for a bounded time only.
   */
  readonly attempts: number;
  /** History reads in flight at once over every channel (a reconnection resyncs all of them). */
  readonly concurrency: number;
}

export const SEQUENCER_DEFAULTS: SequencerLimits = {
  maxQueued: 10_000,
  batch: 500,
  retryMs: 200,
  maxRetryMs: 5_000,
  // 0.2 + 0.4 + 0.8 + 1.6 + 3.2 s, then 5 s pauses: about 75 s before a catch-up gives up.
  attempts: 20,
  concurrency: 16,
};

/** Reads one catch-up makes at most before it hands on what it holds (a publisher outrunning the reads). */
const MAX_ROUNDS = 1_000;

/** Where a sequencer hands publications on: the engine's `BrokerHandler`. */
export type SequencerOutput = Pick<BrokerHandler, 'onPublication' | 'onResync'>;

/** One watched channel. Its position is two fields, so handing on a publication allocates nothing. */
class Track {
  /** The last position handed on; `epoch` is '' until one is known. */
  epoch = '';
  offset = 0;
  /** Live publications held while a catch-up runs, in arrival order; null when none runs. */
  queue: Publication[] | null = null;
  /** Read history once more before handing the queue on: it overflowed, or the connection came back meanwhile. */
  again = false;
  overflowed = false;

  get position(): Position | undefined {
    return this.epoch === '' ? undefined : { epoch: this.epoch, offset: this.offset };
  }
}

/**
 * The one place that turns what an engine receives live into what its node is promised: per channel, every
 * publication exactly once, in offset order (engine/types.ts, `Broker`).
 *
 * An engine feeds it every publication that arrives (`offer`) and tells it when its connection came back
 * (`resync`). A publication at or before the last one handed on is dropped; one past the next offset (or the
 * first of a new epoch past its offset 1) starts a catch-up: history is read from the last position, in batches,
 * and handed on, while live arrivals wait in a bounded queue; then the queue goes through the same checks. Each
 * catch-up ends with one `onResync` saying whether history held everything (`recovered`).
 */
export class Sequencer {
  readonly #tracks = new Map<string, Track>();
  readonly #history: Pick<HistoryStore, 'read'>;
  readonly #limits: SequencerLimits;
  #output: SequencerOutput | undefined;
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(history: Pick<HistoryStore, 'read'>, limits: SequencerLimits = SEQUENCER_DEFAULTS) {
    this.#history = history;
    this.#limits = limits;
    this.#free = limits.concurrency;
  }

  /** Where publications and resyncs go (the handler the engine's broker was started with). */
  set output(output: SequencerOutput) {
    this.#output = output;
  }

  watch(channel: string): void {
    if (!this.#tracks.has(channel)) this.#tracks.set(channel, new Track());
  }

  /** Forgets the channel: a catch-up running for it stops, and what it held is dropped. */
  unwatch(channel: string): void {
    this.#tracks.delete(channel);
  }

  watching(channel: string): boolean {
    return this.#tracks.has(channel);
  }

  /** Forgets every channel (the engine is closing). */
  clear(): void {
    this.#tracks.clear();
  }

  /** Live publications held for `channel` now, while it catches up. */
  queued(channel: string): number {
    return this.#tracks.get(channel)?.queue?.length ?? 0;
  }

  /**
   * A position learned outside live delivery (the stream's top when the node subscribed): where a catch-up
   * starts if the connection breaks before anything arrives. Ignored once a position is known.
   */
  notePosition(channel: string, position: Position): void {
    const t = this.#tracks.get(channel);
    if (t !== undefined && t.epoch === '') {
      t.epoch = position.epoch;
      t.offset = position.offset;
    }
  }

  /** A publication that arrived live. */
  offer(pub: Publication): void {
    const t = this.#tracks.get(pub.channel);
    if (t === undefined) return;
    if (t.queue !== null) return this.#hold(t, pub);
    if (t.epoch !== '') {
      if (pub.epoch === t.epoch) {
        if (pub.offset <= t.offset) return;
        if (pub.offset > t.offset + 1)
          return this.#catchUp(pub.channel, t, 'gap', { epoch: t.epoch, offset: t.offset }, pub);
      } else if (pub.offset > 1) {
        return this.#catchUp(pub.channel, t, 'epoch', { epoch: pub.epoch, offset: 0 }, pub);
      }
    }
    this.#hand(t, pub);
  }

  /** The engine's connection came back: every channel reads what was published meanwhile. */
  resync(): void {
    for (const [channel, t] of this.#tracks) {
      if (t.queue !== null) t.again = true;
      else this.#catchUp(channel, t, 'reconnect', t.position);
    }
  }

  #hold(t: Track, pub: Publication): void {
    const queue = t.queue!;
    if (queue.length >= this.#limits.maxQueued) {
      queue.length = 0;
      t.again = true;
      t.overflowed = true;
    }
    queue.push(pub);
  }

  #hand(t: Track, pub: Publication): void {
    if (pub.epoch === t.epoch && pub.offset <= t.offset) return;
    t.epoch = pub.epoch;
    t.offset = pub.offset;
    this.#output?.onPublication(pub);
  }

  #catchUp(
    channel: string,
    t: Track,
    cause: ResyncCause,
    since: Position | undefined,
    first?: Publication,
  ): void {
    t.queue = first === undefined ? [] : [first];
    t.again = false;
    t.overflowed = false;
    void this.#run(channel, t, cause, since);
  }

  async #run(channel: string, t: Track, cause: ResyncCause, start: Position | undefined): Promise<void> {
    const from = t.position;
    const current = () => this.#tracks.get(channel) === t;
    let since = start;
    let failures = 0;
    let readOk = true;
    let recovered = true;
    let progressed = false;
    let reason: string | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let r: HistoryResult;
      try {
        // Nothing known yet: the newest publication is where this node stands.
        r = await this.#read(
          channel,
          since === undefined ? { limit: 1 } : { since, limit: this.#limits.batch },
        );
      } catch (err) {
        if (!current()) return;
        if (++failures >= this.#limits.attempts) {
          readOk = false;
          recovered = false;
          reason = `history could not be read: ${err instanceof Error ? err.message : String(err)}`;
          break;
        }
        // A timer, never a tight retry loop: a read that fails at once would starve the event loop, and with it
        // the reconnection it waits for.
        const pause = Math.min(this.#limits.retryMs * 2 ** (failures - 1), this.#limits.maxRetryMs);
        await new Promise((resolve) => setTimeout(resolve, pause).unref());
        if (!current()) return;
        continue;
      }
      if (!current()) return;
      failures = 0;
      const before = t.offset;
      const beforeEpoch = t.epoch;
      for (const p of r.publications) this.#hand(t, p);
      progressed ||= t.offset !== before || t.epoch !== beforeEpoch;
      if (since !== undefined && !r.recovered) {
        recovered = false;
        if (r.top.epoch !== since.epoch) {
          reason = 'the stream was lost: a new epoch started';
          since = { epoch: r.top.epoch, offset: 0 };
          continue;
        }
        reason = 'history no longer holds what was missed';
      } else if (since !== undefined && r.publications.length >= this.#limits.batch) {
        since = t.position;
        continue;
      }
      if (!t.again) break;
      t.again = false;
      since = t.position;
    }
    const queue = t.queue ?? [];
    const overflowed = t.overflowed;
    t.queue = null;
    t.again = false;
    t.overflowed = false;
    // A catch-up that could not read, or that history gave nothing for although it was started by a publication
    // history must hold, hands on what it held as it is: offering it again would start the same catch-up forever.
    const stuck = !readOk || (cause !== 'reconnect' && !progressed);
    if (stuck && recovered) {
      recovered = false;
      reason = 'history holds nothing after the gap';
    }
    this.#output?.onResync(channel, {
      cause,
      from,
      recovered,
      overflowed,
      ...(reason === undefined || recovered ? {} : { reason }),
    });
    for (const p of queue) {
      if (!current()) return;
      if (stuck) this.#hand(t, p);
      else this.offer(p);
    }
  }

  async #read(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await this.#history.read(channel, query);
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#free++;
      else next();
    }
  }
}
