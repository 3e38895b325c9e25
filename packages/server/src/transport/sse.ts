import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  cursorPrefix,
  cursorSegment,
  encodeSseData,
  type Position,
  type ServerFrame,
} from '@switchboard/protocol';
import type { PreparedFrame, PreparedPublication } from '../core/prepared.ts';
import type { Disconnect } from '../errors.ts';
import type { ByteTally } from './bytes-written.ts';
import { CoalescedWriter, MAX_COALESCED_BYTES } from './coalesce.ts';
import { SSE_EVENT, SSE_MESSAGE_DATA, SSE_SINGLE_CHANNEL } from './encoders.ts';
import { cutWhenStuck, OutgoingBound, type OutgoingLimits } from './outgoing.ts';
import type { Transport } from './types.ts';

/**
 * A Server-Sent Events stream's bytes.
 *
 * Each frame is one event: `event:` is the frame type (left out for `message`, so `onmessage` fires) and `data:`
 * the frame JSON. Publications carry `id:` = the cursor over every channel of the stream, so a native
 * `EventSource` reconnecting with `Last-Event-ID` resumes all of them. A single-channel stream's event bytes
 * are the same for every subscriber and shared; a multi-channel stream writes its own `id:` line before the
 * shared `data:` block. What one turn of the event loop sends to the stream goes out as one write.
 */
export class SseTransport implements Transport {
  readonly kind = 'sse' as const;
  readonly #res: ServerResponse;
  readonly #socket: Socket;
  readonly #prefix: string;
  readonly #index: ReadonlyMap<string, number>;
  /** `epoch-offset` per channel, in the stream's channel order; null until known. */
  readonly #segments: (string | null)[];
  readonly #retryMs: number;
  readonly #writer: CoalescedWriter;
  readonly #bound: OutgoingBound;
  #closed = false;
  /** Single-channel streams: the last publication written, turned into a segment only when a cursor is asked for. */
  #lastSingle: Position | undefined;

  constructor(
    res: ServerResponse,
    channels: readonly string[],
    initial: readonly (Position | null)[],
    options: { limits: OutgoingLimits; retryMs: number; onSlow: () => void; tally?: ByteTally },
  ) {
    this.#res = res;
    this.#socket = res.socket as Socket;
    this.#retryMs = options.retryMs;
    this.#prefix = cursorPrefix(channels);
    this.#index = new Map(channels.map((c, i) => [c, i]));
    this.#segments = initial.map((p) => (p === null ? null : cursorSegment(p)));
    // Straight to the socket, not through `res.write`: the body is close-delimited (no chunk framing) and the
    // headers went out with the stream's first write, so the response would add only per-write bookkeeping.
    this.#bound = new OutgoingBound(this.#socket, options.limits, options.onSlow);
    this.#writer = new CoalescedWriter(
      this.#socket,
      Math.min(MAX_COALESCED_BYTES, options.limits.maxBytes),
      () => this.#bound.afterWrite(),
      options.tally,
    );
  }

  get writableBytes(): number {
    return this.#writer.unsentBytes;
  }

  onDrain(listener: (() => void) | null): void {
    this.#writer.onDrain(listener);
  }

  /** The cursor of everything written so far, or null while some channel's position is unknown. */
  cursor(): string | null {
    if (this.#lastSingle !== undefined) {
      this.#segments[0] = cursorSegment(this.#lastSingle);
      this.#lastSingle = undefined;
    }
    let out = this.#prefix;
    for (const s of this.#segments) {
      if (s === null) return null;
      out += `.${s}`;
    }
    return out;
  }

  resumeFrom(channel: string, position: Position): void {
    this.#lastSingle = undefined;
    const i = this.#index.get(channel);
    if (i !== undefined) this.#segments[i] = cursorSegment(position);
  }

  send(frame: ServerFrame): void {
    let out = frame.type === 'message' ? '' : `event: ${frame.type}\n`;
    if (frame.type === 'subscribed') {
      const id = this.cursor();
      if (id !== null) out += `id: ${id}\n`;
    }
    this.#write(Buffer.from(out + encodeSseData(JSON.stringify(frame))));
  }

  sendPublication(prepared: PreparedPublication): void {
    const p = prepared.publication;
    const segments = this.#segments;
    if (segments.length === 1) {
      // The cursor is the publication's own position: the whole event is shared by every such stream.
      this.#lastSingle = p;
      this.#write(prepared.bytes(SSE_SINGLE_CHANNEL));
      return;
    }
    const i = this.#index.get(p.channel);
    if (i === undefined) return;
    segments[i] = `${p.epoch}-${p.offset}`;
    const id = this.cursor();
    if (id !== null) this.#write(Buffer.from(`id: ${id}\n`));
    this.#write(prepared.bytes(SSE_MESSAGE_DATA));
  }

  sendPrepared(frame: PreparedFrame): void {
    this.#write(frame.bytes(SSE_EVENT));
  }

  /** The connection is gone (its endpoint saw the socket close): releases its share of the hub-wide budget. */
  released(): void {
    this.#bound.release();
  }

  /** A comment line that keeps proxies and the client's silence timer from closing an idle stream. */
  heartbeat(comment: Buffer): void {
    this.#write(comment);
    this.#bound.check();
  }

  close(d: Disconnect): void {
    if (this.#closed) return;
    if (d.reason !== 'slow_consumer') {
      // Spread the reconnects of a whole node over [retry, 3 x retry) so they do not arrive at once.
      const retry = this.#retryMs + Math.floor(Math.random() * 2 * this.#retryMs);
      this.#write(Buffer.from(`retry: ${retry}\n\n`));
      this.send({ type: 'disconnect', code: d.code, reason: d.reason, reconnect: d.reconnect });
      this.#writer.flush();
      this.#closed = true;
      this.#res.end();
      // A peer that does not read would hold the socket (and a shutdown) until its queue drained.
      cutWhenStuck(this.#socket, () => this.#socket.destroy());
      return;
    }
    this.#closed = true;
    this.#writer.discard();
    this.#socket.destroy();
  }

  #write(chunk: Buffer): void {
    if (this.#closed || this.#socket.destroyed) return;
    this.#writer.write(chunk);
  }
}
