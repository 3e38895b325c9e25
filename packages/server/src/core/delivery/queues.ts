// What a subscription holds while its subscriber is behind (the socket is full, or the rate cap says wait).
// Every queue is bounded by construction; `push` says how many publications it had to let go.

/** The only thing a queue needs of a publication: its conflation key (policies without one never ask). */
export interface Keyed {
  conflationKey(field: string): string | undefined;
}

export interface PendingQueue<T> {
  readonly size: number;
  /** Adds `item`; returns how many held items were dropped or replaced to make room. */
  push(item: T): number;
  /** The next item to send, oldest first, or undefined when empty. */
  shift(): T | undefined;
  clear(): void;
}

/** `latest` without a key: one slot; a newer publication replaces the held one. */
export class LatestSlot<T> implements PendingQueue<T> {
  #item: T | undefined;

  get size(): number {
    return this.#item === undefined ? 0 : 1;
  }

  push(item: T): number {
    const replaced = this.#item === undefined ? 0 : 1;
    this.#item = item;
    return replaced;
  }

  shift(): T | undefined {
    const item = this.#item;
    this.#item = undefined;
    return item;
  }

  clear(): void {
    this.#item = undefined;
  }
}

/**
 * `latest` with a `conflateKey`: one held publication per key value, at most `capacity` keys. A newer publication
 * of a held key replaces it and moves to the back, so items leave in the order of their latest arrival, which is
 * offset order. Publications whose data has no such field share one key. Past `capacity` keys, the key held the
 * longest is dropped.
 */
export class KeyedLatest<T extends Keyed> implements PendingQueue<T> {
  readonly #field: string;
  readonly #capacity: number;
  readonly #items = new Map<string | undefined, T>();

  constructor(field: string, capacity: number) {
    this.#field = field;
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#items.size;
  }

  push(item: T): number {
    const key = item.conflationKey(this.#field);
    let dropped = 0;
    if (this.#items.delete(key)) dropped = 1;
    else if (this.#items.size >= this.#capacity) {
      const oldest = this.#items.keys().next().value;
      this.#items.delete(oldest);
      dropped = 1;
    }
    this.#items.set(key, item);
    return dropped;
  }

  shift(): T | undefined {
    const first = this.#items.entries().next();
    if (first.done === true) return undefined;
    this.#items.delete(first.value[0]);
    return first.value[1];
  }

  clear(): void {
    this.#items.clear();
  }
}

/** `drop-oldest`: a ring of `capacity` publications; pushing into a full ring drops its oldest. */
export class DropOldest<T> implements PendingQueue<T> {
  readonly #ring: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#ring = new Array<T | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): number {
    const capacity = this.#ring.length;
    if (this.#size === capacity) {
      this.#ring[this.#head] = item;
      this.#head = (this.#head + 1) % capacity;
      return 1;
    }
    this.#ring[(this.#head + this.#size) % capacity] = item;
    this.#size++;
    return 0;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#ring[this.#head];
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#size--;
    return item;
  }

  clear(): void {
    this.#ring.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }
}
