import { SEQUENCER_DEFAULTS } from '@switchboard/engine-kit';

/**
 * How long the Redis engine's mechanisms take at worst, from its own settings (the URL's `timeout` and
 * `reconnectMax`): what tests derive their waits from. Each allows one failed attempt before the one that works,
 * which is what a loaded machine costs.
 */
export interface RedisTiming {
  readonly timeoutMs: number;
  readonly reconnectMaxMs: number;
}

/**
 * A publication to a subscriber on any node: one pub/sub hop with no timer on the way; if pub/sub dropped it, the
 * engine's Sequencer fills the gap with a history read (bounded by `timeout`), tried again once after its first
 * retry pause.
 */
export const deliveryMs = (o: RedisTiming): number => 2 * o.timeoutMs + SEQUENCER_DEFAULTS.retryMs;

/**
 * A server gone, noticed: a dead one's sockets close at once; one that stopped answering is found by the next
 * command's timeout.
 */
export const noticeMs = (o: RedisTiming): number => o.timeoutMs;

/** A lost connection back: the next attempt within `reconnectMax`, connecting bounded by `timeout`; twice. */
export const reconnectMs = (o: RedisTiming): number => 2 * (o.reconnectMaxMs + o.timeoutMs);

/**
 * After a connection was lost, a subscriber has what it missed: the connection back, its channels subscribed again
 * (bounded by `timeout`), then the catch-up read and delivery.
 */
export const catchUpMs = (o: RedisTiming): number => reconnectMs(o) + o.timeoutMs + deliveryMs(o);

/**
 * Under Sentinel, once the sentinels name the new master: every connection follows it within `followMs` (the
 * engine's own bound, `followWithinMs` in engine-redis's sentinel.ts), then the catch-up read and delivery.
 */
export const sentinelCatchUpMs = (o: RedisTiming, followMs: number): number => followMs + deliveryMs(o);
