// A minimal reader of a `text/event-stream` body: bytes in, events out, no socket. It splits on blank lines,
// hands the first `data:` line of each event to the sink without copying when the event sits in one chunk,
// and tells events with an `event:` line (frames other than publications) apart. Comment lines (`: ping`)
// and `retry:` blocks carry no data and produce nothing. Line endings are LF or CRLF (chosen by the first
// line), not a mix; a multi-line `data:` gives only its first line (publications are one line of JSON).

export interface SseSink {
  /** The data of an event with no `event:` line (a publication), in `buf[start, end)`. */
  onMessage(buf: Buffer, start: number, end: number): void;
  /** An event with an `event:` line: its type, and its data in `buf[start, end)` (empty when none). */
  onEvent(type: string, buf: Buffer, start: number, end: number): void;
  /** An event larger than the reader's bound. The reader stops; the owner drops the connection. */
  onError(reason: string): void;
}

const LF = 0x0a;
const CR = 0x0d;
const LFLF = Buffer.from('\n\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const DATA = Buffer.from('data:');
const EVENT = Buffer.from('event:');

/** Default bound on one event: 1 MiB. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

export class SseReader {
  #pending: Buffer | null = null;
  #separator: Buffer | null = null;
  #failed = false;
  readonly #sink: SseSink;
  readonly #max: number;

  constructor(sink: SseSink, maxEventBytes = DEFAULT_MAX_EVENT_BYTES) {
    this.#sink = sink;
    this.#max = maxEventBytes;
  }

  push(chunk: Buffer): void {
    if (this.#failed) return;
    const buf = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = null;
    if (this.#separator === null) {
      const nl = buf.indexOf(LF);
      if (nl < 0) {
        this.#keep(buf, 0);
        return;
      }
      this.#separator = nl > 0 && buf[nl - 1] === CR ? CRLFCRLF : LFLF;
    }
    const sep = this.#separator;
    let pos = 0;
    for (;;) {
      const at = buf.indexOf(sep, pos);
      if (at < 0) break;
      this.#event(buf, pos, at);
      pos = at + sep.length;
    }
    this.#keep(buf, pos);
  }

  #keep(buf: Buffer, pos: number): void {
    if (pos >= buf.length) return;
    if (buf.length - pos > this.#max) {
      this.#failed = true;
      this.#sink.onError(`event over ${this.#max} bytes`);
      return;
    }
    this.#pending = Buffer.from(buf.subarray(pos));
  }

  /** One event block `buf[start, end)`, without its closing blank line. */
  #event(buf: Buffer, start: number, end: number): void {
    const data = fieldAt(buf, start, end, DATA);
    const type = fieldAt(buf, start, end, EVENT);
    const ds = data < 0 ? end : valueStart(buf, data + DATA.length);
    const de = data < 0 ? end : lineEnd(buf, ds, end);
    if (type < 0) {
      if (data >= 0) this.#sink.onMessage(buf, ds, de);
      return;
    }
    const ts = valueStart(buf, type + EVENT.length);
    this.#sink.onEvent(buf.toString('latin1', ts, lineEnd(buf, ts, end)), buf, ds, de);
  }
}

/** Index of `field` at the start of a line within `buf[start, end)`, or -1. */
function fieldAt(buf: Buffer, start: number, end: number, field: Buffer): number {
  let at = buf.indexOf(field, start);
  while (at >= 0 && at < end) {
    if (at === start || buf[at - 1] === LF) return at;
    at = buf.indexOf(field, at + 1);
  }
  return -1;
}

function valueStart(buf: Buffer, i: number): number {
  return buf[i] === 0x20 ? i + 1 : i;
}

function lineEnd(buf: Buffer, from: number, end: number): number {
  const nl = buf.indexOf(LF, from);
  const e = nl < 0 || nl > end ? end : nl;
  return e > from && buf[e - 1] === CR ? e - 1 : e;
}

const SIZE = 0;
const BODY = 1;
const BODY_END = 2;
const DONE = 3;

/** Removes HTTP/1.1 chunked framing: feeds the bytes of each chunk, in order, to `emit`. */
export class Dechunker {
  #state = SIZE;
  #size = 0;
  #inExtension = false;
  #left = 0;
  readonly #emit: (part: Buffer) => void;

  constructor(emit: (part: Buffer) => void) {
    this.#emit = emit;
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && this.#state !== DONE) {
      if (this.#state === BODY) {
        const n = Math.min(this.#left, chunk.length - i);
        this.#emit(chunk.subarray(i, i + n));
        i += n;
        this.#left -= n;
        if (this.#left === 0) this.#state = BODY_END;
        continue;
      }
      const c = chunk[i++]!;
      if (this.#state === BODY_END) {
        if (c === LF) this.#state = SIZE;
        continue;
      }
      // SIZE: hex digits, an optional `;extension`, CRLF.
      if (c === LF) {
        this.#state = this.#size === 0 ? DONE : BODY;
        this.#left = this.#size;
        this.#size = 0;
        this.#inExtension = false;
      } else if (c === 0x3b) this.#inExtension = true;
      else if (!this.#inExtension && c !== CR) {
        const d = hexDigit(c);
        if (d >= 0) this.#size = this.#size * 16 + d;
      }
    }
  }

  /** True after the terminating zero-size chunk. */
  get done(): boolean {
    return this.#state === DONE;
  }
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
