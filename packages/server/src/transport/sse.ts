import type { ServerResponse } from 'node:http';
import { constants as h2, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import {
  cursorPrefix,
  cursorSegment,
  encodeSseData,
  type Position,
  type ServerFrame,
} from '@switchboard/protocol';
import type { Continuity, PreparedFrame, PreparedPublication } from '../core/prepared.ts';
import type { Disconnect } from '../errors.ts';
import type { ByteTally } from './bytes-written.ts';
import { CoalescedWriter, MAX_COALESCED_BYTES } from './coalesce.ts';
import { SSE_DATA_BY_FORM, SSE_EVENT, SSE_SINGLE_BY_FORM } from './encoders.ts';
import { endSocket } from './http1-detach.ts';
import { cutWhenStuck, OutgoingBound, type OutgoingLimits } from './outgoing.ts';
import type { Transport } from './types.ts';

/**
 * Where a stream's bytes go once its headers are out: the bytes themselves, and its two ways to end.
 * HTTP/1.1 streams are the whole connection; an HTTP/2 stream is one of many on its connection, so ending or
 * cutting it leaves the others be.
 */
export interface SseSink {
  /** The raw bytes: the socket (HTTP/1.1, close-delimited body) or the HTTP/2 stream (its DATA frames). */
  readonly out: Writable;
  /** Ends the body after what was written (a clean close). */
  end(): void;
  /** Cuts the stream at once, dropping what is queued (a slow consumer). */
  destroy(): void;
}

/**
 * An HTTP/1.1 stream's socket once it is off Node's HTTP server (`detachHttp1`): the body is close-delimited (no
 * chunk framing) and ends with the connection. Neither the request nor the response is kept.
 * A class with methods, not an object of arrow functions: an idle stream keeps no closures for its sink.
 */
class SocketSink implements SseSink {
  readonly out: Socket;

  constructor(socket: Socket) {
    this.out = socket;
  }

  end(): void {
    endSocket(this.out);
  }

  destroy(): void {
    this.out.destroy();
  }
}

/**
 * An HTTP/1.1 response's socket, written straight, while the response stays Node's: the fallback when the socket
 * cannot be taken off the HTTP server (`detachHttp1` returned null). The body is close-delimited here too.
 */
class Http1Sink implements SseSink {
  readonly out: Socket;
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
    this.out = res.socket as Socket;
  }

  end(): void {
    this.#res.end();
  }

  destroy(): void {
    this.out.destroy();
  }
}

/** An HTTP/2 stream: its flow-control window and buffer are its own, so the outgoing bound is per stream. */
class Http2Sink implements SseSink {
  readonly out: ServerHttp2Stream;

  constructor(stream: ServerHttp2Stream) {
    this.out = stream;
  }

  end(): void {
    this.out.end();
  }

  destroy(): void {
    this.out.close(h2.NGHTTP2_CANCEL);
  }
}

export function http1Sink(res: ServerResponse): SseSink {
  return new Http1Sink(res);
}

export function socketSink(socket: Socket): SseSink {
  return new SocketSink(socket);
}

export function http2Sink(stream: ServerHttp2Stream): SseSink {
  return new Http2Sink(stream);
}

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
  readonly #sink: SseSink;
  readonly #out: Writable;
  readonly #prefix: string;
  readonly #index: ReadonlyMap<string, number>;
  /** `epoch-offset` per channel, in the stream's channel order; null until known. */
  readonly #segments: (string | null)[];
  readonly #retryMs: number;
  readonly #writer: CoalescedWriter;
  readonly #bound: OutgoingBound;
  #closed = false;
  /** The stream negotiated wire version 2 (`wire=2`): compact message frames in `data:`. */
  readonly compact: boolean;
  /** Single-channel streams: the last publication written, turned into a segment only when a cursor is asked for. */
  #lastSingle: Position | undefined;

  constructor(
    sink: SseSink,
    channels: readonly string[],
    initial: readonly (Position | null)[],
    options: {
      limits: OutgoingLimits;
      retryMs: number;
      onSlow: () => void;
      tally?: ByteTally;
      compact?: boolean;
    },
  ) {
    this.#sink = sink;
    this.compact = options.compact === true;
    this.#out = sink.out;
    this.#retryMs = options.retryMs;
    this.#prefix = cursorPrefix(channels);
    this.#index = new Map(channels.map((c, i) => [c, i]));
    this.#segments = initial.map((p) => (p === null ? null : cursorSegment(p)));
    // Straight to the socket (or HTTP/2 stream), not through `res.write`: the headers went out with the stream's
    // first write, so the response would add only per-write bookkeeping.
    this.#bound = new OutgoingBound(this.#out, options.limits, options.onSlow);
    this.#writer = new CoalescedWriter(
      this.#out,
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

  sendPublication(prepared: PreparedPublication, continuity: Continuity): void {
    const p = prepared.publication;
    const segments = this.#segments;
    const form = prepared.form(this.compact, continuity);
    if (segments.length === 1) {
      // The cursor is the publication's own position: the whole event is shared by every such stream.
      this.#lastSingle = p;
      this.#write(prepared.bytes(SSE_SINGLE_BY_FORM[form]), prepared.at);
      return;
    }
    const i = this.#index.get(p.channel);
    if (i === undefined) return;
    segments[i] = `${p.epoch}-${p.offset}`;
    const id = this.cursor();
    // The `id:` line and the data block below are one event: the line is not a frame of its own.
    if (id !== null) this.#write(Buffer.from(`id: ${id}\n`), -1, 0);
    this.#write(prepared.bytes(SSE_DATA_BY_FORM[form]), prepared.at);
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
      this.#sink.end();
      // A peer that does not read would hold the stream (and a shutdown) until its queue drained.
      cutWhenStuck(this.#sink.out, () => this.#sink.destroy());
      return;
    }
    this.#closed = true;
    this.#writer.discard();
    this.#sink.destroy();
  }

  /** Cuts the stream at once, whatever is queued: the last step of a shutdown, for a stream its drain left open. */
  cut(): void {
    this.#closed = true;
    this.#writer.discard();
    this.#sink.destroy();
  }

  #write(chunk: Buffer, bornAt?: number, frames?: number): void {
    if (this.#closed || this.#out.destroyed) return;
    this.#writer.write(chunk, bornAt, frames);
  }
}
