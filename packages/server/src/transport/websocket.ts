import type { Socket } from 'node:net';
import type { ServerFrame } from '@switchboard/protocol';
import WebSocket from 'ws';
import {
  type Continuity,
  EXPLICIT,
  IMPLIED,
  type PreparedFrame,
  type PreparedPublication,
} from '../core/prepared.ts';
import type { Disconnect } from '../errors.ts';
import type { ByteTally } from './bytes-written.ts';
import { CoalescedWriter, MAX_COALESCED_BYTES } from './coalesce.ts';
import { WEBSOCKET_BINARY, WEBSOCKET_EXPLICIT, WEBSOCKET_IMPLIED, WEBSOCKET_JSON } from './encoders.ts';
import { cutWhenStuck, OutgoingBound, type OutgoingLimits } from './outgoing.ts';
import type { Transport } from './types.ts';
import { encodeTextFrame } from './ws-frame.ts';

/** Grace for a slow consumer's close frame to get out before the socket is destroyed. */
const SLOW_CLOSE_GRACE_MS = 1_000;

/**
 * A WebSocket connection's bytes. `ws` parses incoming frames and runs the close handshake
 * and control frames; data frames are written straight to the socket we own from the upgrade, so one
 * publication's frame bytes are shared by every subscriber. Per-message deflate is off, so `ws` never queues
 * a frame of its own and our writes and its writes cannot interleave mid-frame. What one turn of the event loop
 * sends to the socket goes out as one write (`CoalescedWriter`); it is flushed before the close frame.
 */
export class WebSocketTransport implements Transport {
  readonly kind = 'websocket' as const;
  readonly #ws: WebSocket;
  readonly #writer: CoalescedWriter;
  readonly #bound: OutgoingBound;
  /** The peer negotiated `switchboard.binary`: publications of bytes go out as binary frames, not base64 text. */
  readonly #binary: boolean;
  /** The peer negotiated wire version 2 (`wire=2`): compact message frames. */
  readonly compact: boolean;
  readonly #socket: Socket;
  /** Set when the heartbeat pings; cleared by any frame from the peer. */
  pingedAt = 0;

  /**
   * `tally` counts the bytes written (the node's `ws` or `pusher` tally), binary frames included; `binary`: the
   * peer negotiated `switchboard.binary`; `compact`: the peer negotiated wire version 2.
   */
  constructor(
    ws: WebSocket,
    socket: Socket,
    limits: OutgoingLimits,
    onSlow: () => void,
    tally?: ByteTally,
    binary = false,
    compact = false,
  ) {
    this.#ws = ws;
    this.#binary = binary;
    this.compact = compact;
    this.#socket = socket;
    this.#bound = new OutgoingBound(socket, limits, onSlow);
    this.#writer = new CoalescedWriter(
      socket,
      Math.min(MAX_COALESCED_BYTES, limits.maxBytes),
      () => this.#bound.afterWrite(),
      tally,
    );
  }

  get writableBytes(): number {
    return this.#writer.unsentBytes;
  }

  onDrain(listener: (() => void) | null): void {
    this.#writer.onDrain(listener);
  }

  send(frame: ServerFrame): void {
    this.#write(encodeTextFrame(JSON.stringify(frame)));
  }

  sendPrepared(frame: PreparedFrame): void {
    this.#write(frame.bytes(WEBSOCKET_JSON));
  }

  sendPublication(prepared: PreparedPublication, continuity: Continuity): void {
    const form = prepared.form(this.compact, continuity);
    const encoder =
      form === IMPLIED
        ? WEBSOCKET_IMPLIED
        : form === EXPLICIT
          ? WEBSOCKET_EXPLICIT
          : this.#binary && prepared.binary
            ? WEBSOCKET_BINARY
            : WEBSOCKET_JSON;
    this.#write(prepared.bytes(encoder), prepared.at);
  }

  /**
   * Writes the heartbeat frames (a control ping and a `ping` frame, built once by the endpoint) and checks the
   * outgoing bound, so a connection that stopped receiving writes cannot hide from it.
   */
  heartbeat(frames: Buffer): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.pingedAt = Date.now();
    this.#write(frames);
    this.#bound.check();
  }

  close(d: Disconnect): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    if (d.reason === 'heartbeat_timeout') {
      // The peer is gone; a close handshake would only wait for it.
      this.#writer.discard();
      this.#ws.terminate();
      return;
    }
    if (d.reason === 'slow_consumer') {
      // What is queued would only deepen the backlog the close frame waits behind.
      this.#writer.discard();
      this.#ws.close(d.code, d.reason);
      setTimeout(() => this.#ws.terminate(), SLOW_CLOSE_GRACE_MS).unref();
      return;
    }
    this.send({ type: 'disconnect', code: d.code, reason: d.reason, reconnect: d.reconnect });
    // Everything queued goes out before the close frame `ws` writes: no data frame may follow it.
    this.#writer.flush();
    this.#ws.close(d.code, d.reason);
    // `ws` would wait 30 s for the peer's close frame; a peer that does not read is cut sooner.
    cutWhenStuck(this.#socket, () => this.#ws.terminate());
  }

  /** The connection is gone (its endpoint saw the socket close): releases its share of the hub-wide budget. */
  released(): void {
    this.#bound.release();
  }

  /**
   * Writes the bytes of whole frames built by a dialect on top of this transport (Pusher); `bornAt`, a
   * publication's `at`, times it to its socket write.
   */
  writeFrame(bytes: Buffer, bornAt?: number): void {
    this.#write(bytes, bornAt);
  }

  /** Closes with `code` after everything queued, without a `disconnect` frame (a dialect sent its own). */
  closeWith(code: number, reason: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#writer.flush();
    this.#ws.close(code, reason);
    // Some clients never end their half of the TCP connection after the close handshake (pusher-js's Node build):
    // the socket is destroyed after a grace instead of after ws's 30 s.
    setTimeout(() => this.#ws.terminate(), SLOW_CLOSE_GRACE_MS).unref();
  }

  /** Destroys the socket now, close handshake or not: for a peer still connected when a drain's time is up. */
  terminate(): void {
    this.#writer.discard();
    this.#ws.terminate();
  }

  #write(bytes: Buffer, bornAt?: number): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#writer.write(bytes, bornAt);
  }
}
