// The publisher's HTTP/1.1 response reader: the status, the framing (Content-Length, chunked, or until the
// connection closes) and whether the server closes the connection after the response. Bodies are skipped, never
// kept: a publish is judged by its status alone. Input is latin1 text (one character per byte).

/** One complete response. */
export interface ParsedResponse {
  status: number;
  /** The server closes the connection after it (`Connection: close`, HTTP/1.0 without keep-alive, or a body
   * that ends with the connection). */
  close: boolean;
}

const HEAD = 0;
const LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const TRAILERS = 4;
const UNTIL_CLOSE = 5;

/** Reads the responses of one connection in order, however their bytes are split across reads. */
export class ResponseReader {
  #buf = '';
  #state = HEAD;
  #status = 0;
  #close = false;
  /** Body bytes (or a chunk's bytes and its CRLF) still to skip. */
  #left = 0;

  /** Feeds bytes; `done` is called for each response they complete. Throws on a malformed response. */
  push(text: string, done: (r: ParsedResponse) => void): void {
    const buf = this.#buf.length === 0 ? text : this.#buf + text;
    let at = 0;
    for (;;) {
      const state = this.#state;
      if (state === HEAD) {
        const end = buf.indexOf('\r\n\r\n', at);
        if (end === -1) break;
        const complete = this.#head(buf, at, end);
        at = end + 4;
        if (complete) done({ status: this.#status, close: this.#close });
      } else if (state === LENGTH || state === CHUNK_DATA) {
        const take = Math.min(this.#left, buf.length - at);
        this.#left -= take;
        at += take;
        if (this.#left > 0) break;
        if (state === CHUNK_DATA) this.#state = CHUNK_SIZE;
        else {
          this.#state = HEAD;
          done({ status: this.#status, close: this.#close });
        }
      } else if (state === CHUNK_SIZE) {
        const eol = buf.indexOf('\r\n', at);
        if (eol === -1) break;
        const size = Number.parseInt(buf.slice(at, eol), 16); // chunk extensions (`;…`) end the number
        if (Number.isNaN(size) || size < 0) throw new Error('bad chunk size');
        at = eol + 2;
        if (size === 0) this.#state = TRAILERS;
        else {
          this.#left = size + 2;
          this.#state = CHUNK_DATA;
        }
      } else if (state === TRAILERS) {
        const eol = buf.indexOf('\r\n', at);
        if (eol === -1) break;
        const empty = eol === at;
        at = eol + 2;
        // An empty line ends the trailers and the response; any other line is a trailer field.
        if (empty) {
          this.#state = HEAD;
          done({ status: this.#status, close: this.#close });
        }
      } else {
        at = buf.length; // UNTIL_CLOSE: everything is body
        break;
      }
    }
    this.#buf = at >= buf.length ? '' : buf.slice(at);
  }

  /** The connection ended: a response whose body runs until the close is complete now. */
  end(done: (r: ParsedResponse) => void): void {
    if (this.#state !== UNTIL_CLOSE) return;
    this.#state = HEAD;
    done({ status: this.#status, close: true });
  }

  /** Reads the head in `buf[start, end)`; true when the response is complete with it (no body). */
  #head(buf: string, start: number, end: number): boolean {
    if (!buf.startsWith('HTTP/1.', start)) throw new Error('not an HTTP/1.x response');
    const status = Number(buf.slice(start + 9, start + 12));
    if (!(status >= 100 && status < 600)) throw new Error('bad status line');
    let length = -1;
    let chunked = false;
    let close = buf.charCodeAt(start + 7) === 48; // HTTP/1.0: closes unless it says keep-alive
    let line = buf.indexOf('\r\n', start);
    while (line !== -1 && line < end) {
      const next = buf.indexOf('\r\n', line + 2);
      const stop = next === -1 || next > end ? end : next;
      const colon = buf.indexOf(':', line + 2);
      if (colon !== -1 && colon < stop) {
        const name = buf.slice(line + 2, colon).toLowerCase();
        const value = buf
          .slice(colon + 1, stop)
          .trim()
          .toLowerCase();
        if (name === 'content-length') length = Number(value);
        else if (name === 'transfer-encoding') chunked = value.includes('chunked');
        else if (name === 'connection') {
          if (value.includes('close')) close = true;
          else if (value.includes('keep-alive')) close = false;
        }
      }
      line = stop === end ? -1 : stop;
    }
    // 1xx: an interim answer without a body; the real one follows.
    if (status < 200) return false;
    this.#status = status;
    this.#close = close;
    if (status === 204 || status === 304) return true;
    if (chunked) {
      this.#state = CHUNK_SIZE;
      return false;
    }
    if (length >= 0) {
      if (!Number.isSafeInteger(length)) throw new Error('bad content-length');
      if (length === 0) return true;
      this.#left = length;
      this.#state = LENGTH;
      return false;
    }
    this.#state = UNTIL_CLOSE;
    this.#close = true;
    return false;
  }
}
