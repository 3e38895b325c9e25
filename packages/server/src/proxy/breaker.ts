/**
 * A circuit breaker for one hook: `failures` consecutive failures open it; while open every call fails at once;
 * after `cooldownMs` it lets one trial call through (half-open), whose success closes it and whose failure opens
 * it for another cooldown. Denials by the backend are answers, not failures.
 */
export class CircuitBreaker {
  readonly #failures: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #consecutive = 0;
  #openUntil = 0;
  #trial = false;

  constructor(failures: number, cooldownMs: number, now: () => number = Date.now) {
    this.#failures = failures;
    this.#cooldownMs = cooldownMs;
    this.#now = now;
  }

  /** Whether the breaker is open (calls fail at once), cooldown not over or a trial call in flight. */
  get open(): boolean {
    return this.#consecutive >= this.#failures;
  }

  /** Whether a call may go to the backend now; a true answer while open makes that call the one trial. */
  admit(): boolean {
    if (!this.open) return true;
    if (this.#trial || this.#now() < this.#openUntil) return false;
    this.#trial = true;
    return true;
  }

  succeeded(): void {
    this.#consecutive = 0;
    this.#trial = false;
  }

  /** An admitted call that was not made after all: a trial it held is given back. */
  released(): void {
    this.#trial = false;
  }

  failed(): void {
    this.#trial = false;
    this.#consecutive++;
    if (this.open) this.#openUntil = this.#now() + this.#cooldownMs;
  }
}
