import type { DeliveryOptions } from '../channel-options.ts';
import { DropOldest, type Keyed, KeyedLatest, LatestSlot, type PendingQueue } from './queues.ts';

/**
 * Where a gate writes: one subscription's view of its connection. `writableBytes` is how much the connection has
 * queued and not yet handed to the network: the measure of "the subscriber is not keeping up".
 */
export interface Outlet<T extends Keyed> {
  readonly writableBytes: number;
  write(item: T): void;
  /** Tells the subscriber how many publications were dropped before the next one (drop-oldest). */
  skipped(count: number): void;
  /** Calls `gate.drained()` once, when the connection's queue has emptied. */
  waitDrain(gate: DeliveryGate<T>): void;
}

export interface Clock {
  now(): number;
  /** Timers must not keep the process alive (the real clock unrefs them). */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: Clock = {
  now: Date.now,
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Bytes a connection may have queued before gated subscriptions hold back: a quarter of the outgoing limit, so a
 * slow subscriber of a `latest` or `drop-oldest` channel stays far from the slow-consumer disconnect, between
 * 16 KiB (a socket's own high-water mark: past it, `drain` is sure to come) and 64 KiB.
 */
export function highWaterFor(maxOutgoingBytes: number): number {
  return Math.max(16 * 1024, Math.min(64 * 1024, Math.floor(maxOutgoingBytes / 4)));
}

/** The rate a subscription gets: the subscriber's request, never above the namespace cap (0: no cap). */
export function effectiveRate(namespaceMax: number, requested: number | undefined): number {
  if (requested === undefined) return namespaceMax;
  return namespaceMax > 0 ? Math.min(namespaceMax, requested) : requested;
}

/**
 * Delivery for the `latest` and `drop-oldest` policies, one per subscription (never used for `all`, whose
 * publications go straight to the connection). A publication is written at once while the connection keeps up
 * (less than `highWater` bytes queued) and the rate cap allows; otherwise it waits in a bounded queue, which
 * conflates (`latest`) or drops its oldest (`drop-oldest`, counting them), until the connection drains or the
 * cap's interval passes. Items leave in the order they came, so positions only grow.
 */
export class DeliveryGate<T extends Keyed> {
  readonly #outlet: Outlet<T>;
  readonly #clock: Clock;
  readonly #queue: PendingQueue<T>;
  readonly #countSkips: boolean;
  readonly #highWater: number;
  /** Milliseconds between deliveries; 0 for no cap. */
  readonly #interval: number;
  #lastSent = Number.NEGATIVE_INFINITY;
  #skipped = 0;
  #waitingDrain = false;
  #timer: unknown;
  #closed = false;
  readonly #onDropped: ((n: number) => void) | undefined;

  constructor(
    options: Pick<DeliveryOptions, 'policy' | 'conflateKey' | 'queueSize'> & {
      rate: number;
      highWater: number;
      /** Told how many held publications a new one dropped or replaced (the hub counts them). */
      onDropped?: (n: number) => void;
    },
    outlet: Outlet<T>,
    clock: Clock = REAL_CLOCK,
  ) {
    this.#outlet = outlet;
    this.#clock = clock;
    this.#highWater = options.highWater;
    this.#interval = options.rate > 0 ? 1000 / options.rate : 0;
    this.#countSkips = options.policy === 'drop-oldest';
    this.#onDropped = options.onDropped;
    this.#queue =
      options.policy === 'drop-oldest'
        ? new DropOldest<T>(options.queueSize)
        : options.conflateKey === null
          ? new LatestSlot<T>()
          : new KeyedLatest<T>(options.conflateKey, options.queueSize);
  }

  /** Publications waiting (for tests and metrics). */
  get pending(): number {
    return this.#queue.size;
  }

  offer(item: T): void {
    if (this.#closed) return;
    if (this.#queue.size === 0 && this.#ready()) {
      this.#send(item);
      return;
    }
    const dropped = this.#queue.push(item);
    if (this.#countSkips) this.#skipped += dropped;
    if (dropped > 0) this.#onDropped?.(dropped);
    this.#arm();
  }

  /** The connection's queue emptied. */
  drained(): void {
    this.#waitingDrain = false;
    this.#flush();
  }

  close(): void {
    this.#closed = true;
    this.#queue.clear();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flush(): void {
    if (this.#closed) return;
    while (this.#queue.size > 0 && this.#ready()) this.#send(this.#queue.shift()!);
    if (this.#queue.size > 0) this.#arm();
  }

  #ready(): boolean {
    if (this.#outlet.writableBytes >= this.#highWater) return false;
    return this.#interval === 0 || this.#clock.now() - this.#lastSent >= this.#interval;
  }

  /** Waits for whichever holds the queue back: the connection (drain) or the rate cap (a timer). */
  #arm(): void {
    if (this.#outlet.writableBytes >= this.#highWater) {
      if (!this.#waitingDrain) {
        this.#waitingDrain = true;
        this.#outlet.waitDrain(this);
      }
      return;
    }
    if (this.#interval > 0 && this.#timer === undefined) {
      const wait = Math.max(1, Math.ceil(this.#lastSent + this.#interval - this.#clock.now()));
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#flush();
      }, wait);
    }
  }

  #send(item: T): void {
    if (this.#skipped > 0) {
      this.#outlet.skipped(this.#skipped);
      this.#skipped = 0;
    }
    if (this.#interval > 0) this.#lastSent = this.#clock.now();
    this.#outlet.write(item);
  }
}
