import type { Writable } from 'node:stream';
import type { ByteTally } from './bytes-written.ts';

/** Most bytes coalesced for one socket within a turn before they are written at once. */
export const MAX_COALESCED_BYTES = 64 * 1024;

const EMPTY = Buffer.alloc(0);

/**
 * Coalesces what one socket is sent within one event-loop turn into one write.
 *
 * A hub under load reads several publishes in one poll phase; without this, each would be one `write` (one
 * syscall, one TCP segment, one read on the client) per subscriber. Queued chunks are written when the turn's
 * I/O callbacks are done (`setImmediate`), as one buffer. Under light load a turn holds one chunk and it goes
 * out as it is, a few microseconds later than a direct write.
 *
 * Bounded: a queue past `maxQueuedBytes` is written at once, so a burst never holds more than that per socket.
 */
export class CoalescedWriter {
  readonly #socket: Writable;
  readonly #maxQueuedBytes: number;
  readonly #afterWrite: () => void;
  readonly #tally: ByteTally | undefined;
  /** Nothing queued, one chunk, or several (the common single case allocates no array). */
  #queue: Buffer | Buffer[] | undefined;
  #queuedBytes = 0;
  #queuedFrames = 0;
  /** When each queued publication was taken by the hub (`performance.now()`); reused, never shrunk. */
  readonly #bornAt: number[] = [];
  #born = 0;
  /** The one pending "all written" probe, and who waits for it. */
  #drainListener: (() => void) | null = null;
  #probing = false;

  /**
   * `afterWrite` runs after every real write (the outgoing-buffer check); `tally`, when given, counts the bytes
   * and frames of every write and times the publications in it (the metrics read it when scraped).
   */
  constructor(socket: Writable, maxQueuedBytes: number, afterWrite: () => void, tally?: ByteTally) {
    this.#socket = socket;
    this.#maxQueuedBytes = maxQueuedBytes;
    this.#afterWrite = afterWrite;
    this.#tally = tally;
  }

  /**
   * Calls `listener` once everything queued so far (here and in the socket) has been handed to the kernel; null
   * forgets a pending listener. A socket's own `drain` event is not enough: it fires only after a write that
   * passed the socket's high-water mark, so a queue that empties below it would never be told.
   */
  onDrain(listener: (() => void) | null): void {
    this.#drainListener = listener;
    if (listener === null || this.#probing) return;
    this.#probing = true;
    this.flush();
    // A zero-length write completes after every write before it: the probe.
    this.#socket.write(EMPTY, () => {
      this.#probing = false;
      const l = this.#drainListener;
      this.#drainListener = null;
      l?.();
    });
  }

  /** Bytes not yet handed to the network: this turn's queue and the socket's. */
  get unsentBytes(): number {
    return this.#socket.writableLength + this.#queuedBytes;
  }

  /**
   * Queues bytes: `frames` whole frames (1 by default; 0 for part of one); `bornAt` (a publication's
   * `performance.now()` time) is timed to its socket write.
   */
  write(chunk: Buffer, bornAt = -1, frames = 1): void {
    if (bornAt >= 0) this.#bornAt[this.#born++] = bornAt;
    this.#queuedFrames += frames;
    const q = this.#queue;
    if (q === undefined) {
      this.#queue = chunk;
      scheduleFlush(this);
    } else if (Array.isArray(q)) {
      q.push(chunk);
    } else {
      this.#queue = [q, chunk];
    }
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > this.#maxQueuedBytes) this.flush();
  }

  /**
   * Writes whatever is queued now (called at the end of the turn, and before a close). `now` is the
   * `performance.now()` the end-of-turn flush read for a run of writers (one clock read for many); a flush on
   * demand reads its own.
   */
  flush(now = -1): void {
    const q = this.#queue;
    if (q === undefined) return;
    const frames = this.#queuedFrames;
    this.#queue = undefined;
    this.#queuedBytes = 0;
    this.#queuedFrames = 0;
    const born = this.#born;
    this.#born = 0;
    if (this.#socket.destroyed || this.#socket.writableEnded) return;
    const chunk = Array.isArray(q) ? Buffer.concat(q) : q;
    this.#socket.write(chunk);
    const tally = this.#tally;
    if (tally !== undefined) {
      tally.bytes += chunk.length;
      tally.frames += frames;
      if (born > 0) {
        const onDemand = now < 0;
        const at = onDemand ? performance.now() : now;
        for (let i = 0; i < born; i++) observeWait(tally, this.#bornAt[i]!, at);
        if (onDemand) endWaits();
      }
    }
    this.#afterWrite();
  }

  /** Drops whatever is queued (the connection is being destroyed). */
  discard(): void {
    this.#queue = undefined;
    this.#queuedBytes = 0;
    this.#queuedFrames = 0;
    this.#born = 0;
  }
}

// One flush list for the process: every writer with something queued this turn, flushed by one setImmediate.
// Two lists, swapped each turn and cleared as they are flushed, so a turn that queues for 10,000 sockets does not
// build (and leave to the collector) a new 10,000-slot array.
let pending: (CoalescedWriter | undefined)[] = [];
let pendingCount = 0;
let spare: (CoalescedWriter | undefined)[] = [];
let scheduled = false;

/**
 * Writers flushed per clock read at the end of a turn: the clock is read before the first of them, so a write's
 * measured wait is short by at most the time the writes before it in its group took (63 socket writes).
 */
export const WRITES_PER_CLOCK_READ = 64;

function scheduleFlush(w: CoalescedWriter): void {
  pending[pendingCount++] = w;
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

function flushAll(): void {
  scheduled = false;
  const list = pending;
  const n = pendingCount;
  pending = spare;
  pendingCount = 0;
  let now = 0;
  for (let i = 0; i < n; i++) {
    if (i % WRITES_PER_CLOCK_READ === 0) now = performance.now();
    const w = list[i]!;
    list[i] = undefined;
    w.flush(now);
  }
  spare = list;
  endWaits();
}

// Publish-to-write waits, observed in runs: a publication fanned out to many sockets is written to all of them
// in the same end-of-turn flush, within the same clock read, so its equal waits are one observation of many.
let runTally: ByteTally | undefined;
let runBorn = 0;
let runAt = 0;
let runCount = 0;

function observeWait(tally: ByteTally, born: number, at: number): void {
  if (tally === runTally && born === runBorn && at === runAt) {
    runCount++;
    return;
  }
  endWaits();
  runTally = tally;
  runBorn = born;
  runAt = at;
  runCount = 1;
}

/** Observes the current run of equal waits. */
function endWaits(): void {
  if (runTally === undefined) return;
  const tally = runTally;
  runTally = undefined;
  tally.latency.observe((runAt - runBorn) / 1000, runCount);
  runCount = 0;
}
