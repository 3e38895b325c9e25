import type { Logger } from 'pino';

/** The window over which repeats of one refusal are counted into one line. */
export const REFUSAL_WINDOW_MS = 10_000;
/** Distinct refusals tracked per window; more share one key, so a scan of made-up paths stays bounded. */
const MAX_KEYS = 100;

interface Seen {
  readonly fields: Record<string, unknown>;
  repeats: number;
}

/**
 * Logs refused requests without letting a flood of them become a flood of lines: the first refusal of a kind
 * (its status and route) in a {@link REFUSAL_WINDOW_MS} window is logged whole, with its request id; the repeats are
 * only counted, and logged as one line with their number when the window closes. Bounded: at most
 * {@link MAX_KEYS} kinds per window.
 */
export class RefusalLog {
  readonly #logger: Logger;
  readonly #windowMs: number;
  #seen = new Map<string, Seen>();
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, windowMs = REFUSAL_WINDOW_MS) {
    this.#logger = logger;
    this.#windowMs = windowMs;
  }

  /** One refusal: `kind` says which (e.g. `401 /api/publish`); `fields` describe this one (its request id…). */
  refused(kind: string, fields: Record<string, unknown>): void {
    const key = this.#seen.has(kind) || this.#seen.size < MAX_KEYS ? kind : 'other';
    const seen = this.#seen.get(key);
    if (seen !== undefined) {
      seen.repeats++;
      return;
    }
    this.#seen.set(key, { fields: { kind: key }, repeats: 0 });
    this.#logger.info({ ...fields, kind: key }, 'request refused');
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#windowMs);
      this.#timer.unref();
    }
  }

  /** Closes the window: one line per kind that repeated, with how many times. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const seen = this.#seen;
    this.#seen = new Map();
    for (const { fields, repeats } of seen.values())
      if (repeats > 0)
        this.#logger.info({ ...fields, repeats, windowMs: this.#windowMs }, 'request refused again');
  }

  stop(): void {
    this.flush();
  }
}
