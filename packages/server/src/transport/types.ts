import type { Position, ServerFrame } from '@switchboard/protocol';
import type { Continuity, PreparedFrame, PreparedPublication } from '../core/prepared.ts';
import type { Disconnect } from '../errors.ts';

/**
 * What a session writes to: one connection's bytes. A transport turns frames into bytes on its socket (framing,
 * coalescing, the outgoing bound, heartbeats) and never decides anything about channels or commands. What the
 * client sends comes in through the endpoint that accepted the connection (endpoints/), not through here.
 */
export interface Transport {
  readonly kind: 'websocket' | 'sse';
  /** A protocol dialect spoken over `kind`'s bytes (Pusher's), when it is not the hub's own. */
  readonly dialect?: 'pusher';
  /** Writes one frame. Cold path: serialized here, for this connection alone. */
  send(frame: ServerFrame): void;
  /** Writes a frame prepared once for many connections (join, leave), in this transport's format. */
  sendPrepared(frame: PreparedFrame): void;
  /**
   * The connection negotiated wire version 2 (`wire=2`): publications that `continuity` allows go out as compact
   * frames, and `subscribed` frames carry the channel's `sid`.
   */
  readonly compact?: boolean;
  /**
   * Writes a publication using its shared, pre-built bytes. Hot path: no JSON work, no per-call allocation.
   * `continuity` (how it follows the last publication of its channel sent here) picks the compact form.
   */
  sendPublication(prepared: PreparedPublication, continuity: Continuity): void;
  /**
   * The client's resume point on `channel` is now `position` (called before `subscribed`). SSE keeps it in the
   * stream cursor it sends as `id:`; WebSocket clients track positions themselves.
   */
  resumeFrom?(channel: string, position: Position): void;
  /**
   * Bytes written and not yet handed to the network (this turn's coalesced queue and the socket's): how far
   * behind the peer is. Delivery policies hold publications back while it is high.
   */
  readonly writableBytes: number;
  /**
   * Calls `listener` once, when everything written so far has been handed to the network (whether or not the
   * socket ever passed its own high-water mark); a later call replaces a listener not yet called, null removes
   * it. The session fans it out to the subscriptions waiting on it.
   */
  onDrain(listener: (() => void) | null): void;
  /** Sends a `disconnect` frame (and, for WebSocket, the matching close code), then closes. Idempotent. */
  close(disconnect: Disconnect): void;
}
