import { bucketFor, type TokenBucket } from './rate.ts';

/** What becomes of one inbound frame: read it, refuse it (answered), or close the connection. */
export type Admission = 'read' | 'refuse' | 'close';

/**
 * What one connection may send, metered before anything it sent is parsed: every inbound frame (a WebSocket or
 * Pusher message, text or binary, readable or not) and every `POST /sse/command` takes one token of the command
 * budget (`limits.commandRate` a second, bursts of twice it). A frame over that budget, and a frame that cannot be
 * read (invalid JSON, a malformed or unknown command), is a fault and takes one token of the error budget
 * (`limits.errorRate`, bursts of twice it); while that lasts the fault is answered with an error, and once it is
 * spent the connection is closed (4504 `too_many_errors`). So a flood costs the hub a bucket check per frame, and
 * its error replies are bounded by the error budget. A rate of 0 turns its budget off.
 */
export class InboundMeter {
  readonly #commands: TokenBucket | null;
  readonly #errors: TokenBucket | null;

  constructor(commandRate: number, errorRate: number, now: number) {
    this.#commands = bucketFor(commandRate, now);
    this.#errors = bucketFor(errorRate, now);
  }

  /** Meters one inbound frame before it is read. */
  admit(now: number): Admission {
    if (this.#commands === null || this.#commands.take(now)) return 'read';
    return this.fault(now) ? 'refuse' : 'close';
  }

  /** A frame refused or unreadable: true while the error budget lasts (answer it), false once spent (close). */
  fault(now: number): boolean {
    return this.#errors === null || this.#errors.take(now);
  }
}
