import { Histogram } from './histogram.ts';

/** Counters of one generator process, shared by all its subscribers. */
export class WorkerStats {
  /** Publications received since the last snapshot, duplicates included (what the sockets carried). */
  received = 0;
  /** Publications received since the process started (the drain reads progress from it). */
  totalReceived = 0;
  /** Bytes read from sockets since the last snapshot (response heads and every frame included). */
  bytes = 0;
  /**
   * Publications the live subscribers are owed and have not received: for each subscriber, the sequence
   * numbers its channel accepted in the current step (`Subscriber.expect`) that it has not seen. A sum of
   * per-subscriber counts that only ever go down, so never below zero and never offset by another subscriber.
   */
  owed = 0;
  /** Publications a subscriber received a second time, since the last snapshot. */
  duplicates = 0;
  /** Publications that arrived after a higher sequence number (late, not lost), since the last snapshot. */
  reordered = 0;
  /** Live subscriptions the hub closed or broke, since the last snapshot. */
  dropped = 0;
  /** Receive-minus-send time of each publication, µs (only those received at or after their send time). */
  readonly latency: Histogram = new Histogram();
  /** Publications received before their send time by the two clocks (they disagree), since the last snapshot. */
  negative = 0;
  /** The most negative receive-minus-send time since the last snapshot, µs (0 when none). */
  minLatency = 0;
  /** Wall-clock time (ms, fractional) at which the chunk being parsed was read. */
  now = 0;

  /** Records one publication's receive-minus-send time, µs. */
  recordLatency(us: number): void {
    if (us >= 0) this.latency.record(us);
    else {
      this.negative++;
      if (us < this.minLatency) this.minLatency = us;
    }
  }

  resetWindow(): void {
    this.received = 0;
    this.bytes = 0;
    this.duplicates = 0;
    this.reordered = 0;
    this.dropped = 0;
    this.negative = 0;
    this.minLatency = 0;
    this.latency.reset();
  }
}
