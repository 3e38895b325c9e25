/**
 * How many bytes of history one connection may read a second: `history` commands and the publications a
 * subscription recovers (WebSocket and SSE catch-up alike). A read is allowed while the budget is not in debt, and
 * its bytes are counted once read, so one read may overshoot and the next waits until the debt is paid back.
 * Bursts of twice the rate. The rate is read at each use (a connection that authenticates moves from the anonymous
 * rate to the authenticated one); 0 = unlimited. Pure arithmetic on a clock passed in.
 */
export class ReadBudget {
  readonly #rate: () => number;
  #bytes: number;
  #at: number;

  constructor(rate: () => number, now: number) {
    this.#rate = rate;
    this.#bytes = 2 * rate();
    this.#at = now;
  }

  /** Whether a read may start now: the budget is not in debt. */
  allows(now: number): boolean {
    const rate = this.#rate();
    if (rate === 0) return true;
    this.#refill(rate, now);
    return this.#bytes > 0;
  }

  /** `bytes` were read. */
  spend(bytes: number, now: number): void {
    const rate = this.#rate();
    if (rate === 0) return;
    this.#refill(rate, now);
    this.#bytes -= bytes;
  }

  #refill(rate: number, now: number): void {
    if (now > this.#at) {
      this.#bytes = Math.min(2 * rate, this.#bytes + ((now - this.#at) * rate) / 1000);
      this.#at = now;
    }
  }
}
