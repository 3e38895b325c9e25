// A set of sequence numbers kept as sorted runs: what one subscriber has received of its channel, or what the
// publisher had accepted for a channel in one step. Deliveries mostly arrive in order, so a set of thousands of
// numbers is one run or a few, and adding the next number is O(1).

/** Runs `[first, last]` (inclusive), ascending, for IPC and tests. */
export type SeqRanges = Array<[number, number]>;

/**
 * At most this many separate runs are kept; past it the lowest run is forgotten and the floor rises above it.
 * Only a subscriber missing every other message for thousands of messages gets there, in a step that fails
 * by a wide margin; what is forgotten counts as not received (see `countIn`), never as received.
 */
export const MAX_RUNS = 1024;

export class SeqSet {
  /** Flat [first, last] pairs, ascending, never touching (a gap of at least one between runs). */
  readonly #runs: number[] = [];
  #size = 0;
  /** Numbers below this were forgotten (see MAX_RUNS): `has` is false for them, `add` ignores them. */
  #floor = Number.NEGATIVE_INFINITY;

  /** The set of the given runs (any order, overlapping or not). */
  static from(ranges: SeqRanges): SeqSet {
    const s = new SeqSet();
    const r = s.#runs;
    for (const [first, last] of [...ranges].sort((x, y) => x[0] - y[0])) {
      if (last < first) continue;
      const end = r.length === 0 ? Number.NEGATIVE_INFINITY : r[r.length - 1]!;
      if (first > end + 1) {
        r.push(first, last);
        s.#size += last - first + 1;
      } else if (last > end) {
        r[r.length - 1] = last;
        s.#size += last - end;
      }
    }
    return s;
  }

  get size(): number {
    return this.#size;
  }

  /** The highest number in the set, or -Infinity when empty. */
  get max(): number {
    const r = this.#runs;
    return r.length === 0 ? Number.NEGATIVE_INFINITY : r[r.length - 1]!;
  }

  get floor(): number {
    return this.#floor;
  }

  /** Adds `n`; false when it was already there or is below the floor. */
  add(n: number): boolean {
    if (n < this.#floor) return false;
    const r = this.#runs;
    const len = r.length;
    // In order: extends the last run, or starts a new one after it.
    if (len === 0 || n > r[len - 1]! + 1) {
      r.push(n, n);
      this.#size++;
      this.#bound();
      return true;
    }
    if (n === r[len - 1]! + 1) {
      r[len - 1] = n;
      this.#size++;
      return true;
    }
    // Late: find the first run whose last is >= n - 1.
    let lo = 0;
    let hi = len / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r[mid * 2 + 1]! < n - 1) lo = mid + 1;
      else hi = mid;
    }
    const i = lo * 2;
    const first = r[i]!;
    const last = r[i + 1]!;
    if (n >= first && n <= last) return false;
    this.#size++;
    if (n === last + 1) {
      // Extends run i upwards; joins run i+1 when it closes the gap between them.
      if (i + 2 < len && r[i + 2] === n + 1) r.splice(i + 1, 2);
      else r[i + 1] = n;
    } else if (n === first - 1) r[i] = n;
    else {
      r.splice(i, 0, n, n);
      this.#bound();
    }
    return true;
  }

  has(n: number): boolean {
    if (n < this.#floor) return false;
    const r = this.#runs;
    let lo = 0;
    let hi = r.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r[mid * 2 + 1]! < n) lo = mid + 1;
      else hi = mid;
    }
    return lo * 2 < r.length && r[lo * 2]! <= n;
  }

  /** How many of this set's numbers are also in `other` (a merge of the two run lists). */
  countIn(other: SeqSet): number {
    const a = this.#runs;
    const b = other.#runs;
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < a.length && j < b.length) {
      const lo = Math.max(a[i]!, b[j]!, other.#floor);
      const hi = Math.min(a[i + 1]!, b[j + 1]!);
      if (lo <= hi) n += hi - lo + 1;
      if (a[i + 1]! < b[j + 1]!) i += 2;
      else j += 2;
    }
    return n;
  }

  ranges(): SeqRanges {
    const out: SeqRanges = [];
    for (let i = 0; i < this.#runs.length; i += 2) out.push([this.#runs[i]!, this.#runs[i + 1]!]);
    return out;
  }

  #bound(): void {
    const r = this.#runs;
    if (r.length <= MAX_RUNS * 2) return;
    this.#size -= r[1]! - r[0]! + 1;
    this.#floor = r[1]! + 1;
    r.splice(0, 2);
  }
}
