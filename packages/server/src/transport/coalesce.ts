import type { Writable } from 'node:stream';

/** Most bytes coalesced for one socket within a turn before they are written at once. */
export const MAX_COALESCED_BYTES = 64 * 1024;

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
  readonly #out: Writable;
  readonly #maxQueuedBytes: number;
  readonly #afterWrite: () => void;
  /** Nothing queued, one chunk, or several (the common single case allocates no array). */
  #queue: Buffer | Buffer[] | undefined;
  #queuedBytes = 0;

  /** `afterWrite` runs after every real write (the outgoing-buffer check). */
  constructor(out: Writable, maxQueuedBytes: number, afterWrite: () => void) {
    this.#out = out;
    this.#maxQueuedBytes = maxQueuedBytes;
    this.#afterWrite = afterWrite;
  }

  write(chunk: Buffer): void {
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

  /** Writes whatever is queued now (called at the end of the turn, and before a close). */
  flush(): void {
    const q = this.#queue;
    if (q === undefined) return;
    this.#queue = undefined;
    this.#queuedBytes = 0;
    if (this.#out.destroyed || this.#out.writableEnded) return;
    this.#out.write(Array.isArray(q) ? Buffer.concat(q) : q);
    this.#afterWrite();
  }

  /** Drops whatever is queued (the connection is being destroyed). */
  discard(): void {
    this.#queue = undefined;
    this.#queuedBytes = 0;
  }
}

// One flush list for the process: every writer with something queued this turn, flushed by one setImmediate.
let pending: CoalescedWriter[] = [];
let scheduled = false;

function scheduleFlush(w: CoalescedWriter): void {
  pending.push(w);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

function flushAll(): void {
  scheduled = false;
  const list = pending;
  pending = [];
  for (const w of list) w.flush();
}
