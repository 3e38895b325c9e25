/** The transports whose written bytes are counted, as `switchboard_bytes_written_total{transport}` labels them. */
export type ByteTallyKind = 'ws' | 'sse' | 'pusher';

/** Where one kind of transport's publish-to-write waits go, in seconds (a histogram series of the metrics). */
export interface LatencySink {
  /** `count` publications (1 when not given) each waited `seconds`. */
  observe(seconds: number, count?: number): void;
}

const NOWHERE: LatencySink = { observe() {} };

/**
 * What one kind of transport has written to its sockets: frames, events and heartbeats, after the handshake
 * (HTTP headers, `ws`'s own control frames and close frames are not counted). Plain numbers the writers add to,
 * one integer add each per socket write, read by the metrics when scraped: the hot path touches no label lookup.
 */
export class ByteTally {
  /** Bytes written (`switchboard_bytes_written_total`). */
  bytes = 0;
  /** Whole frames written: WebSocket frames, SSE events (`switchboard_frames_written_total`). */
  frames = 0;
  /**
   * Where each publication's wait, from the hub taking it to its socket write, is observed
   * (`switchboard_publish_to_write_seconds`): the metrics set it to their series for this kind, resolved once.
   */
  latency: LatencySink = NOWHERE;
}

/** One tally per transport kind, shared by every connection of that kind on the node. */
export type ByteTallies = Readonly<Record<ByteTallyKind, ByteTally>>;

export function byteTallies(): ByteTallies {
  return { ws: new ByteTally(), sse: new ByteTally(), pusher: new ByteTally() };
}
