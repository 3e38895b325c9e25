/** One Server-Sent Event as the parser read it. `event` is `message` when the stream gave none. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

export interface SseParserHandlers {
  event(e: SseEvent): void;
  comment(text: string): void;
}

/**
 * A pure, incremental parser of the `text/event-stream` format (the WHATWG HTML spec's rules): feed it text as
 * it arrives, in pieces of any size; it calls `event` once per dispatched event and `comment` per comment line.
 * Lines end with LF, CRLF or CR. A line longer than `maxLineChars` throws (the buffer stays bounded).
 */
export class SseParser {
  readonly #handlers: SseParserHandlers;
  readonly #maxLineChars: number;
  #buffer = '';
  #pendingCr = false;
  #event = '';
  #data: string[] = [];
  #id: string | undefined;

  constructor(handlers: SseParserHandlers, maxLineChars: number) {
    this.#handlers = handlers;
    this.#maxLineChars = maxLineChars;
  }

  feed(chunk: string): void {
    let text = chunk;
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(this.#buffer + text.slice(start, i));
      this.#buffer = '';
      if (c === 13) {
        if (i + 1 === text.length) this.#pendingCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.#buffer += text.slice(start);
    if (this.#buffer.length > this.#maxLineChars) {
      this.#buffer = '';
      throw new RangeError(`an event-stream line is longer than ${this.#maxLineChars} characters`);
    }
  }

  #line(line: string): void {
    if (line === '') return this.#dispatch();
    if (line.charCodeAt(0) === 58) return this.#handlers.comment(line.slice(1).trimStart());
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    // `retry` is ignored: the client reconnects with its own backoff.
  }

  #dispatch(): void {
    if (this.#data.length === 0) {
      this.#event = '';
      return;
    }
    const e: SseEvent = { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id };
    this.#event = '';
    this.#data = [];
    this.#handlers.event(e);
  }
}
