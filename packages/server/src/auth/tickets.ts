import { randomBytes } from 'node:crypto';
import { SwitchboardError } from '../errors.ts';
import type { Identity } from './types.ts';

/** Most tickets outstanding at once: each is a few hundred bytes, and a backend asking for more is broken. */
export const MAX_TICKETS = 10_000;

/**
 * Single-use, short-lived SSE tickets (`POST /api/tickets`): a backend trades its API key for a ticket that a
 * browser puts in an `EventSource` URL, so no long-lived token ever sits in a URL (or a proxy's access log).
 * A ticket is 32 random bytes, works once, within its life, on the node that issued it.
 */
export class TicketStore {
  readonly #ttlMs: number;
  readonly #tickets = new Map<string, { identity: Identity; expiresAt: number }>();

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#tickets.size;
  }

  issue(identity: Identity, now: number): { ticket: string; expiresAt: number } {
    this.sweep(now);
    if (this.#tickets.size >= MAX_TICKETS)
      throw new SwitchboardError('too_many_requests', 'too many tickets outstanding; retry shortly');
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = now + this.#ttlMs;
    this.#tickets.set(ticket, { identity, expiresAt });
    return { ticket, expiresAt };
  }

  /** The identity of a valid ticket, which is used up; null for an unknown, used or expired one. */
  redeem(ticket: string, now: number): Identity | null {
    const entry = this.#tickets.get(ticket);
    if (entry === undefined) return null;
    this.#tickets.delete(ticket);
    return entry.expiresAt > now ? entry.identity : null;
  }

  /** Forgets expired tickets (insertion order is expiry order: all have the same life). */
  sweep(now: number): void {
    for (const [ticket, entry] of this.#tickets) {
      if (entry.expiresAt > now) break;
      this.#tickets.delete(ticket);
    }
  }
}
