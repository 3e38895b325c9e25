// Token buckets: `rate` tokens a second, up to `burst` saved. Pure arithmetic on a clock passed in, so tests can
// drive time; the hub passes Date.now().

/** One bucket. `take()` is a few arithmetic operations and no allocation. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(rate: number, burst: number, now: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whether the bucket is full (so forgetting it changes nothing). */
  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#burst;
  }

  #refill(now: number): void {
    if (now > this.#at) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#rate) / 1000);
      this.#at = now;
    }
  }
}

/** A per-connection limit; `rate` 0 means unlimited. Bursts of twice the rate. */
export function bucketFor(rate: number, now: number): TokenBucket | null {
  return rate === 0 ? null : new TokenBucket(rate, 2 * rate, now);
}

/**
 * Buckets by key (a client IP, an API key), bounded: full buckets are forgotten by `sweep()`, and at `maxKeys`
 * the oldest key is dropped to make room (an attacker cycling addresses can only reset buckets, never grow memory).
 */
export class KeyedLimiter {
  readonly #rate: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(rate: number, maxKeys = 100_000) {
    this.#rate = rate;
    this.#maxKeys = maxKeys;
  }

  get enabled(): boolean {
    return this.#rate > 0;
  }

  get size(): number {
    return this.#buckets.size;
  }

  take(key: string, now: number): boolean {
    if (this.#rate === 0) return true;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      bucket = new TokenBucket(this.#rate, 2 * this.#rate, now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(now);
  }

  sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.full(now)) this.#buckets.delete(key);
  }
}
