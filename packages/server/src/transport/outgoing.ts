import type { Writable } from 'node:stream';
import type { BudgetMember, OutgoingBudget } from '../limits/outgoing-budget.ts';

export interface OutgoingLimits {
  readonly maxBytes: number;
  readonly maxMs: number;
  /** The hub-wide budget this connection's queue counts against, when there is one. */
  readonly budget?: OutgoingBudget;
}

/**
 * The bound on one connection's unsent output. Returns the new "over the limit since" time (0 when under it),
 * or -1 when the connection must go: over the byte limit for `maxMs`, or over twice the limit at once.
 * The common case is one comparison and no clock read.
 */
export function checkOutgoing(socket: Writable, limits: OutgoingLimits, overSince: number): number {
  const queued = socket.writableLength;
  if (queued <= limits.maxBytes) return 0;
  if (queued > 2 * limits.maxBytes) return -1;
  const now = Date.now();
  if (overSince === 0) return now;
  return now - overSince >= limits.maxMs ? -1 : overSince;
}

/**
 * One connection's outgoing bound, kept across writes: after each write one comparison while under the limit;
 * over it, `checkOutgoing` decides, and `onSlow` is called once the connection must go. It is also the
 * connection's member of the hub-wide budget (when there is one), with plain methods and no listener of its own:
 * its transport calls `release()` when the connection is gone.
 */
export class OutgoingBound implements BudgetMember {
  readonly #socket: Writable;
  readonly #limits: OutgoingLimits;
  readonly #onSlow: () => void;
  #overSince = 0;
  /** The hub-wide budget's record of this connection (`BudgetMember`); -1 while it is not counted. */
  budgetBytes = -1;

  constructor(socket: Writable, limits: OutgoingLimits, onSlow: () => void) {
    this.#socket = socket;
    this.#limits = limits;
    this.#onSlow = onSlow;
    limits.budget?.add(this);
  }

  /** Bytes queued on the connection and not yet sent (`BudgetMember`). */
  get queuedBytes(): number {
    return this.#socket.writableLength;
  }

  /** Sheds the connection as a slow consumer (`BudgetMember`). */
  shed(): void {
    this.#onSlow();
  }

  /** The connection is gone: it no longer counts against the hub-wide budget. Idempotent. */
  release(): void {
    this.#limits.budget?.delete(this);
  }

  /** After a write. */
  afterWrite(): void {
    const queued = this.#socket.writableLength;
    this.#limits.budget?.update(this, queued);
    if (queued > this.#limits.maxBytes) this.check();
    else this.#overSince = 0;
  }

  /** The full check (also run by the heartbeat, so a connection that stopped receiving writes is seen too). */
  check(): void {
    this.#overSince = checkOutgoing(this.#socket, this.#limits, this.#overSince);
    if (this.#overSince < 0) this.#onSlow();
  }
}

/** How long a connection that was sent its close may go without taking a byte before it is cut. */
export const CLOSE_GRACE_MS = 1_000;

/**
 * After a close was written to `socket`: every `CLOSE_GRACE_MS`, a peer that took none of what is queued for it
 * (or took it all and still has not closed) is cut, so a client that stopped reading cannot hold a shutdown (or its
 * socket) for long; a peer still reading its backlog is given more time.
 */
export function cutWhenStuck(
  socket: { readonly writableLength: number; readonly destroyed: boolean },
  cut: () => void,
  graceMs = CLOSE_GRACE_MS,
): void {
  let last = socket.writableLength;
  const check = (): void => {
    if (socket.destroyed) return;
    const queued = socket.writableLength;
    if (queued === 0 || queued >= last) return cut();
    last = queued;
    setTimeout(check, graceMs).unref();
  };
  setTimeout(check, graceMs).unref();
}
