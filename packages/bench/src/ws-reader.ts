// A minimal reader of server-to-client WebSocket frames: bytes in, events out, no socket. It finds frame
// boundaries, hands text/binary payloads to the sink as (buffer, start, end) without copying when a frame
// sits in one chunk, reassembles fragmented messages, and reports ping and close control frames.

export interface WsSink {
  /** A complete data message (text or binary) in `buf[start, end)`; valid only during the call. */
  onMessage(buf: Buffer, start: number, end: number): void;
  /** A ping control frame; the owner answers with a pong carrying the same payload. */
  onPing(payload: Buffer): void;
  /** A close control frame (code 1005 when it carries none). */
  onClose(code: number): void;
  /** A frame larger than the reader's bound. The reader stops; the owner drops the connection. */
  onError(reason: string): void;
}

const OP_CONT = 0x0;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

/** Default bound on one frame or one reassembled message: 1 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export class WsReader {
  #pending: Buffer | null = null;
  #fragments: Buffer[] | null = null;
  #fragmentBytes = 0;
  #failed = false;
  readonly #sink: WsSink;
  readonly #max: number;

  constructor(sink: WsSink, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.#sink = sink;
    this.#max = maxFrameBytes;
  }

  push(chunk: Buffer): void {
    if (this.#failed) return;
    const buf = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = null;
    let pos = 0;
    while (buf.length - pos >= 2) {
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - pos < 10) break;
        len = buf.readUInt32BE(pos + 2) * 0x1_0000_0000 + buf.readUInt32BE(pos + 6);
        head = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) head += 4;
      if (len > this.#max) return this.#fail(`frame of ${len} bytes`);
      if (buf.length - pos < head + len) break;
      const start = pos + head;
      const end = start + len;
      if (masked) unmask(buf, start, end, buf.subarray(start - 4, start));
      this.#frame(b0, buf, start, end);
      if (this.#failed) return;
      pos = end;
    }
    if (pos < buf.length) {
      // Copy the tail so a large chunk is not kept alive by a few bytes of it.
      this.#pending = Buffer.from(buf.subarray(pos));
      if (this.#pending.length > this.#max + 14) this.#fail('unbounded frame');
    }
  }

  #frame(b0: number, buf: Buffer, start: number, end: number): void {
    const fin = (b0 & 0x80) !== 0;
    const op = b0 & 0x0f;
    if (op >= 0x8) {
      if (op === OP_PING) this.#sink.onPing(Buffer.from(buf.subarray(start, end)));
      else if (op === OP_CLOSE) this.#sink.onClose(end - start >= 2 ? buf.readUInt16BE(start) : 1005);
      return; // pong and reserved control opcodes: nothing to do
    }
    if (op !== OP_CONT && fin && this.#fragments === null) {
      this.#sink.onMessage(buf, start, end);
      return;
    }
    // Fragmented message: collect until the final continuation frame.
    if (op !== OP_CONT) {
      this.#fragments = [];
      this.#fragmentBytes = 0;
    }
    if (this.#fragments === null) return this.#fail('continuation without a first fragment');
    this.#fragments.push(Buffer.from(buf.subarray(start, end)));
    this.#fragmentBytes += end - start;
    if (this.#fragmentBytes > this.#max) return this.#fail('fragmented message too large');
    if (fin) {
      const whole = Buffer.concat(this.#fragments);
      this.#fragments = null;
      this.#sink.onMessage(whole, 0, whole.length);
    }
  }

  #fail(reason: string): void {
    this.#failed = true;
    this.#pending = null;
    this.#fragments = null;
    this.#sink.onError(reason);
  }
}

function unmask(buf: Buffer, start: number, end: number, mask: Buffer): void {
  for (let i = start; i < end; i++) buf[i]! ^= mask[(i - start) & 3]!;
}
