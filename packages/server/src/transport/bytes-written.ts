/** The transports whose written bytes are counted, as `switchboard_bytes_written_total{transport}` labels them. */
export type ByteTallyKind = 'ws' | 'sse' | 'pusher';

/**
 * Bytes one kind of transport has written to its sockets: frames, events and heartbeats, after the handshake
 * (HTTP headers, `ws`'s own control frames and close frames are not counted). A plain number the writers add to,
 * one integer add per socket write, read by the metrics when scraped: the hot path touches no label lookup.
 */
export class ByteTally {
  bytes = 0;
}

/** One tally per transport kind, shared by every connection of that kind on the node. */
export type ByteTallies = Readonly<Record<ByteTallyKind, ByteTally>>;

export function byteTallies(): ByteTallies {
  return { ws: new ByteTally(), sse: new ByteTally(), pusher: new ByteTally() };
}
