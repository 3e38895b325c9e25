import type { IncomingMessage, ServerResponse } from 'node:http';
import { toSwitchboardError } from '../errors.ts';

/** Publishes a stream line's body may have in flight (published, answer not yet written) before reading pauses. */
export const MAX_STREAM_LINES_IN_FLIGHT = 256;

export interface PublishStreamDeps {
  /** One line's body, published as `POST /api/publish` would: its answer, or a throw with a coded error. */
  publish(body: Buffer): Promise<unknown>;
  /** Largest line, in bytes (`api.maxBodyBytes`, the limit of one publish body). */
  readonly maxLineBytes: number;
  /** Counts a line's coded error, as the API counts a request's. */
  countError(code: string): void;
}

const NEWLINE = 0x0a;

/**
 * `POST /api/publish/stream`: one request whose body is newline-delimited JSON, each line one publish body as
 * `/api/publish` takes it, answered by a streamed body with one line per request line, in order: the publish's
 * answer, or `{"line","error":{"code","message"}}`. A bad line is answered and the stream goes on. Reading
 * pauses while the answer is not drained or {@link MAX_STREAM_LINES_IN_FLIGHT} lines wait for their answer; a
 * line longer than `maxLineBytes` is answered `payload_too_large` and skipped, never buffered whole. Resolves
 * when the answer has ended or the client went away.
 */
export function servePublishStream(
  req: IncomingMessage,
  res: ServerResponse,
  deps: PublishStreamDeps,
): Promise<void> {
  return new Promise<void>((resolve) => new PublishStream(req, res, deps, resolve));
}

/** One line waiting for its answer to be written, in order. */
interface Pending {
  text: string | undefined;
}

class PublishStream {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #deps: PublishStreamDeps;
  readonly #done: () => void;
  /** The current line's bytes so far (across chunks). */
  #partial: Buffer[] = [];
  #partialBytes = 0;
  /** True while the rest of an oversize line is being skipped. */
  #skipping = false;
  /** Lines seen (blank ones included): a line's number in an error answer. */
  #line = 0;
  /** Answers in request order; the head is written as soon as it is known. */
  readonly #queue: Pending[] = [];
  #ended = false;
  #closed = false;
  #waitingDrain = false;

  constructor(req: IncomingMessage, res: ServerResponse, deps: PublishStreamDeps, done: () => void) {
    this.#req = req;
    this.#res = res;
    this.#deps = deps;
    this.#done = done;
    req.on('data', this.#onData);
    req.on('end', this.#onEnd);
    req.on('error', this.#onGone);
    res.on('close', this.#onGone);
    res.on('drain', this.#onDrain);
  }

  readonly #onData = (chunk: Buffer): void => {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.#skipping) {
        const size = this.#partialBytes + (end - start);
        if (size > this.#deps.maxLineBytes) {
          // Too long: answered now, and the rest of the line is dropped as it arrives.
          this.#partial = [];
          this.#partialBytes = 0;
          this.#skipping = true;
          this.#line++;
          this.#refuse(
            'payload_too_large',
            `line ${this.#line} is larger than ${this.#deps.maxLineBytes} bytes`,
            this.#line,
          );
        } else if (end > start) {
          this.#partial.push(chunk.subarray(start, end));
          this.#partialBytes = size;
        }
      }
      if (nl === -1) break;
      if (this.#skipping) this.#skipping = false;
      else this.#takeLine();
      start = nl + 1;
    }
    this.#flowControl();
  };

  readonly #onEnd = (): void => {
    if (!this.#skipping && this.#partialBytes > 0) this.#takeLine();
    this.#ended = true;
    this.#flush();
  };

  readonly #onGone = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    this.#req.off('data', this.#onData);
    // What is in flight still publishes; its answers have nowhere to go.
    if (!this.#res.writableEnded) this.#res.destroy();
    this.#done();
  };

  readonly #onDrain = (): void => {
    this.#waitingDrain = false;
    this.#flowControl();
  };

  /** The line gathered so far (bytes up to a newline), published unless blank. */
  #takeLine(): void {
    this.#line++;
    const parts = this.#partial;
    const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.#partialBytes);
    this.#partial = [];
    this.#partialBytes = 0;
    if (isBlank(bytes)) return;
    const pending: Pending = { text: undefined };
    this.#queue.push(pending);
    const line = this.#line;
    this.#deps.publish(bytes).then(
      (answer) => {
        pending.text = `${JSON.stringify(answer)}\n`;
        this.#flush();
      },
      (err: unknown) => {
        const e = toSwitchboardError(err);
        this.#deps.countError(e.code);
        pending.text = `${JSON.stringify({ line, error: { code: e.code, message: e.message } })}\n`;
        this.#flush();
      },
    );
  }

  #refuse(code: string, message: string, line: number): void {
    this.#deps.countError(code);
    this.#queue.push({ text: `${JSON.stringify({ line, error: { code, message } })}\n` });
    this.#flush();
  }

  /** Writes the answers that are ready, in order; ends the answer when the request has ended and all are out. */
  #flush(): void {
    if (this.#closed) return;
    const q = this.#queue;
    let out = '';
    let n = 0;
    while (n < q.length && (q[n] as Pending).text !== undefined) {
      out += (q[n] as Pending).text;
      n++;
    }
    if (n > 0) {
      q.splice(0, n);
      if (!this.#res.write(out)) this.#waitingDrain = true;
    }
    if (this.#ended && q.length === 0) {
      this.#closed = true;
      this.#res.end();
      this.#res.off('close', this.#onGone);
      this.#done();
      return;
    }
    this.#flowControl();
  }

  /** Reading goes on only while the answer drains and few lines wait for theirs. */
  #flowControl(): void {
    if (this.#closed || this.#ended) return;
    if (this.#waitingDrain || this.#queue.length >= MAX_STREAM_LINES_IN_FLIGHT) this.#req.pause();
    else if (this.#req.isPaused()) this.#req.resume();
  }
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}
