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
  // Two token buckets (rate a second, bursts of twice it) kept as plain fields: one object per connection.
  readonly #commandRate: number;
  readonly #errorRate: number;
  #commands: number;
  #errors: number;
  #commandsAt: number;
  #errorsAt: number;

  constructor(commandRate: number, errorRate: number, now: number) {
    this.#commandRate = commandRate;
    this.#errorRate = errorRate;
    this.#commands = 2 * commandRate;
    this.#errors = 2 * errorRate;
    this.#commandsAt = now;
    this.#errorsAt = now;
  }

  /** Meters one inbound frame before it is read. */
  admit(now: number): Admission {
    const rate = this.#commandRate;
    if (rate === 0) return 'read';
    if (now > this.#commandsAt) {
      this.#commands = Math.min(2 * rate, this.#commands + ((now - this.#commandsAt) * rate) / 1000);
      this.#commandsAt = now;
    }
    if (this.#commands >= 1) {
      this.#commands -= 1;
      return 'read';
    }
    return this.fault(now) ? 'refuse' : 'close';
  }

  /** A frame refused or unreadable: true while the error budget lasts (answer it), false once spent (close). */
  fault(now: number): boolean {
    const rate = this.#errorRate;
    if (rate === 0) return true;
    if (now > this.#errorsAt) {
      this.#errors = Math.min(2 * rate, this.#errors + ((now - this.#errorsAt) * rate) / 1000);
      this.#errorsAt = now;
    }
    if (this.#errors < 1) return false;
    this.#errors -= 1;
    return true;
  }
}
