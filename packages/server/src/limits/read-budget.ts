/**
 * How many bytes of history one connection may read a second: `history` commands and the publications a
 * subscription recovers (WebSocket and SSE catch-up alike). A read is allowed while the budget is not in debt, and
 * its bytes are counted once read, so one read may overshoot and the next waits until the debt is paid back.
 * Bursts of twice the rate; 0 = unlimited. A connection that authenticates moves from the anonymous rate to the
 * authenticated one (`setRate`), and its allowance grows with it at once: by twice the difference, the burst it
 * gains, whatever it spent before. Plain fields, no closure: one per connection. Pure arithmetic on a clock
 * passed in.
 */
export class ReadBudget {
  #rate: number;
  #bytes: number;
  #at: number;

  constructor(rate: number, now: number) {
    this.#rate = rate;
    this.#bytes = 2 * rate;
    this.#at = now;
  }

  /**
   * The connection's rate changed (it authenticated). A higher rate adds the burst it gains to the allowance
   * now, so an authenticated connection can read its own burst whatever it spent as an anonymous one; setting
   * the same rate again (a token refresh) changes nothing.
   */
  setRate(rate: number, now: number): void {
    const was = this.#rate;
    if (rate === was) return;
    if (was !== 0) this.#refill(was, now);
    this.#at = now;
    this.#rate = rate;
    if (rate === 0) return;
    // From unlimited: the full burst; else what was saved (or owed) moves by the burst gained or lost.
    this.#bytes = was === 0 ? 2 * rate : Math.min(2 * rate, this.#bytes + 2 * (rate - was));
  }

  /** Whether a read may start now: the budget is not in debt. */
  allows(now: number): boolean {
    const rate = this.#rate;
    if (rate === 0) return true;
    this.#refill(rate, now);
    return this.#bytes > 0;
  }

  /** `bytes` were read. */
  spend(bytes: number, now: number): void {
    const rate = this.#rate;
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
