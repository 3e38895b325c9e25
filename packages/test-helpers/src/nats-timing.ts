import { SEQUENCER_DEFAULTS } from '@switchboard/engine-kit';

/**
 * How long the NATS engine's mechanisms take at worst, from its own settings (the URL's `timeout`,
 * `reconnectWait`, `connectTimeout`; link.ts, broker.ts, index.ts): what tests derive their waits from. Each
 * allows one failed attempt before the one that works, which is what a loaded machine costs.
 */
export interface NatsTiming {
  readonly timeoutMs: number;
  readonly reconnectWaitMs: number;
  readonly connectTimeoutMs: number;
}

/** The engine's pause before it tries again to set its store up, or to read history, after a reconnection. */
const RETRY_MS = 250;

/**
 * A publication to a subscriber on any node: one delivery with no timer on the way; if one was missed, the
 * engine's Sequencer fills the gap with a history read (bounded by `timeout`), tried again once after its first
 * retry pause.
 */
export const deliveryMs = (o: NatsTiming): number => 2 * o.timeoutMs + SEQUENCER_DEFAULTS.retryMs;

/**
 * A server gone, noticed: at once when it dies (its sockets close); a silent one by pings, every
 * max(1 s, `timeout`), two unanswered.
 */
export const noticeMs = (o: NatsTiming): number => 3 * Math.max(1_000, o.timeoutMs);

/**
 * Back once the server is: the next attempt within `reconnectWait` plus up to 100 ms of jitter, connecting
 * bounded by `connectTimeout`; twice.
 */
export const reconnectMs = (o: NatsTiming): number =>
  2 * (o.reconnectWaitMs + Math.min(100, o.reconnectWaitMs) + o.connectTimeoutMs);

/**
 * Caught up after a reconnection: the store checked (bounded by `timeout`, tried again after a pause), then every
 * subscribed channel's history read and delivered.
 */
export const catchUpMs = (o: NatsTiming): number =>
  reconnectMs(o) + 2 * (o.timeoutMs + RETRY_MS) + deliveryMs(o);
