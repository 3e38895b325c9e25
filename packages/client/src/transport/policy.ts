import type { TransportChoice } from '../defaults.ts';
import type { TransportKind } from './types.ts';

/**
 * Which transport the client's next attempt uses. `websocket` and `sse` are fixed; `auto` starts with WebSocket
 * and moves to SSE for good once `fallbackAfter` WebSocket attempts in a row ended before the hub's `connected`
 * frame, as long as WebSocket never connected (a proxy that refuses upgrades, a network that drops them). A
 * WebSocket that connected once and later breaks is an outage, not a reason to fall back.
 */
export class TransportPolicy {
  readonly #choice: TransportChoice;
  readonly #fallbackAfter: number;
  #webSocketConnected = false;
  #webSocketFailures = 0;
  #fellBack = false;

  constructor(choice: TransportChoice, fallbackAfter: number) {
    this.#choice = choice;
    this.#fallbackAfter = fallbackAfter;
  }

  /** The transport for the next attempt. */
  next(): TransportKind {
    if (this.#choice !== 'auto') return this.#choice;
    return this.#fellBack ? 'sse' : 'websocket';
  }

  /** A transport reached the hub (its `connected` frame, and `authed` when a token is used). */
  connected(kind: TransportKind): void {
    if (kind === 'websocket') this.#webSocketConnected = true;
  }

  /**
   * A transport ended. True when that was the failure that moves `auto` to SSE: the client tries SSE at once,
   * without a backoff pause.
   */
  ended(kind: TransportKind, beforeConnected: boolean): boolean {
    if (this.#choice !== 'auto' || kind !== 'websocket' || !beforeConnected || this.#webSocketConnected)
      return false;
    if (this.#fellBack || ++this.#webSocketFailures < this.#fallbackAfter) return false;
    this.#fellBack = true;
    return true;
  }
}
