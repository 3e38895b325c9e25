/** The bounds of a webhook queue. */
export interface QueueLimits {
  /** Most events waiting; past it the oldest are dropped. */
  readonly maxQueue: number;
  /** Most events in one request. */
  readonly batchSize: number;
  /** Attempts per request, the first included (1: at most once). */
  readonly maxAttempts: number;
  /** Requests in flight at once (each with its retries). */
  readonly maxInFlight: number;
}

/** One request's events, with the id every attempt of it carries. */
export interface Batch<E> {
  readonly id: string;
  readonly events: readonly E[];
}

/** Backoff between attempts: full jitter over 0.5 s doubling to at most 30 s. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/**
 * The delivery machinery every webhook flavour shares (Switchboard's signed webhooks, the Pusher dialect's): events
 * queue, bounded (past `maxQueue` the oldest are dropped and reported); each event-loop turn's events go out in
 * batches of at most `batchSize`, at most `maxInFlight` requests at once; a request that fails is sent again (same
 * batch, same id) after a backoff, up to `maxAttempts` times, then dropped and reported. What a request looks like
 * and how it is signed is the `post` function's.
 */
export class WebhookQueue<E> {
  readonly #limits: QueueLimits;
  readonly #post: (batch: Batch<E>) => Promise<boolean>;
  readonly #dropped: (reason: 'overflow' | 'failed', events: number) => void;
  readonly #delivered: (events: number) => void;
  #queue: E[] = [];
  #inFlight = 0;
  #scheduled = false;
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    limits: QueueLimits,
    post: (batch: Batch<E>) => Promise<boolean>,
    report: {
      dropped: (reason: 'overflow' | 'failed', events: number) => void;
      delivered?: (events: number) => void;
    },
  ) {
    this.#limits = limits;
    this.#post = post;
    this.#dropped = report.dropped;
    this.#delivered = report.delivered ?? (() => {});
  }

  /** Events waiting to be sent (not those in flight). */
  get length(): number {
    return this.#queue.length;
  }

  push(event: E): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.#limits.maxQueue) {
      this.#queue.shift();
      this.#dropped('overflow', 1);
    }
    this.#queue.push(event);
    this.#schedule();
  }

  /** Stops sending: queued events and pending retries are abandoned. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      while (!this.#closed && this.#queue.length > 0 && this.#inFlight < this.#limits.maxInFlight) {
        const events = this.#queue.splice(0, this.#limits.batchSize);
        this.#inFlight++;
        void this.#deliver({ id: crypto.randomUUID(), events }, 1);
      }
    });
  }

  async #deliver(batch: Batch<E>, attempt: number): Promise<void> {
    if (this.#closed) return;
    let ok = false;
    try {
      ok = await this.#post(batch);
    } catch {
      // `post` reports its own failures; a throw is one more.
    }
    if (ok) {
      this.#delivered(batch.events.length);
      return this.#done();
    }
    if (attempt >= this.#limits.maxAttempts) {
      this.#dropped('failed', batch.events.length);
      return this.#done();
    }
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#deliver(batch, attempt + 1);
    }, Math.random() * ceiling);
    timer.unref();
    this.#timers.add(timer);
  }

  #done(): void {
    this.#inFlight--;
    if (this.#queue.length > 0) this.#schedule();
  }
}
