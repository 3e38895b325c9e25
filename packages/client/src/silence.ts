import { type Timer, timer } from './client-options.ts';

/**
 * Watches one connection for server silence: `onSilent` runs once nothing was `seen()` for `limitMs`. One timer,
 * re-armed for the remainder when it fires early, so a busy connection costs a timestamp per frame, not a timer.
 */
export class SilenceWatch {
  readonly #limitMs: number;
  readonly #onSilent: () => void;
  #lastSeen = Date.now();
  #timer: Timer | undefined;

  constructor(limitMs: number, onSilent: () => void) {
    this.#limitMs = limitMs;
    this.#onSilent = onSilent;
  }

  seen(): void {
    this.#lastSeen = Date.now();
  }

  /** (Re)starts the watch from now. */
  start(): void {
    this.stop();
    this.#lastSeen = Date.now();
    const check = () => {
      const quiet = Date.now() - this.#lastSeen;
      if (quiet < this.#limitMs) {
        this.#timer = timer(check, this.#limitMs - quiet);
        return;
      }
      this.#timer = undefined;
      this.#onSilent();
    };
    this.#timer = timer(check, this.#limitMs);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
