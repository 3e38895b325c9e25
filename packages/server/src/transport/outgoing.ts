import type { Writable } from 'node:stream';

export interface OutgoingLimits {
  readonly maxBytes: number;
  readonly maxMs: number;
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
