import { Histogram } from './histogram.ts';

/** Counters of one generator process, shared by all its subscribers. */
export class WorkerStats {
  /** Publications received since the last snapshot. */
  received = 0;
  /** Publications received since the process started (the drain check reads this). */
  totalReceived = 0;
  /** Bytes read from sockets since the last snapshot (response heads and every frame included). */
  bytes = 0;
  /**
   * Publications missing inside a subscriber's sequence (gaps, less the late arrivals that filled one),
   * since the last snapshot.
   */
  lost = 0;
  /** Publications below or at a subscriber's last sequence (out of order, or duplicates). */
  reordered = 0;
  /** Live subscriptions the hub closed or broke, since the last snapshot. */
  dropped = 0;
  /** Receive-minus-send time of each publication, µs. */
  readonly latency: Histogram = new Histogram();
  /** Wall-clock time (ms, fractional) at which the chunk being parsed was read. */
  now = 0;

  resetWindow(): void {
    this.received = 0;
    this.bytes = 0;
    this.lost = 0;
    this.reordered = 0;
    this.dropped = 0;
    this.latency.reset();
  }
}
