import {
  constants,
  createServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';

/** The client connection preface that opens HTTP/2 with prior knowledge (RFC 9113, section 3.4). */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** What a plain connection's first bytes say: the HTTP/2 preface, HTTP/1.1 (anything else), or not yet. */
export function classifyPreface(head: Buffer): 'http2' | 'http1' | 'undecided' {
  const n = Math.min(head.length, HTTP2_PREFACE.length);
  if (head.compare(HTTP2_PREFACE, 0, n, 0, n) !== 0) return 'http1';
  return n === HTTP2_PREFACE.length ? 'http2' : 'undecided';
}

export interface SniffRoutes {
  http1(socket: Socket): void;
  http2(socket: Socket): void;
  /** Nothing decisive arrived within the time-out; the socket is still open (answer it, then close it). */
  timedOut(socket: Socket): void;
}

/**
 * Reads a plain connection's first bytes and hands the socket, those bytes put back, to HTTP/1.1 or HTTP/2.
 * An HTTP/1.1 request is told apart on its first byte unless it starts with `P` (`POST`, `PUT`, `PATCH`): then
 * on its second or third. At most the preface's 24 bytes are held; a client that sends too little for
 * `timeoutMs` is handed to `timedOut`, and one that ends or fails before saying anything is destroyed.
 */
export function sniff(socket: Socket, timeoutMs: number, routes: SniffRoutes): void {
  let head: Buffer | undefined;
  const timer = setTimeout(() => {
    done();
    routes.timedOut(socket);
  }, timeoutMs);
  timer.unref();
  // Read through `readable`, not `data`: once the listener is gone the socket is as it came (neither flowing nor
  // paused), so the side it goes to starts it as it would a fresh one — a paused socket would never emit `end`.
  const onReadable = (): void => {
    for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null)
      head = head === undefined ? chunk : Buffer.concat([head, chunk]);
    if (head === undefined) return;
    const kind = classifyPreface(head);
    if (kind === 'undecided') return;
    done();
    socket.unshift(head);
    // HTTP/2 drains what was put back as it starts; HTTP/1.1 gets it through `data`, before any later read.
    if (kind === 'http2') routes.http2(socket);
    else routes.http1(socket);
  };
  const onGone = (): void => {
    done();
    socket.destroy();
  };
  function done(): void {
    clearTimeout(timer);
    socket.off('readable', onReadable);
    socket.off('end', onGone);
    socket.off('error', onGone);
  }
  socket.on('readable', onReadable);
  socket.once('end', onGone);
  socket.once('error', onGone);
}

export interface Http2Options {
  readonly maxConcurrentStreams: number;
  /** A stream that neither sends nor receives a byte for this long is cancelled (an SSE stream disarms it). */
  readonly streamIdleMs: number;
  /** A connection with no open stream is closed (GOAWAY) after this long without a byte either way. */
  readonly sessionIdleMs: number;
  readonly maxHeaderBytes: number;
  readonly onSessionError: (err: Error) => void;
}

/**
 * The hub's HTTP/2 side: connections handed over by the plain port's sniffer (h2c with prior knowledge) or by
 * TLS after ALPN chose `h2`. Requests arrive through Node's compatibility API and take the same routes as
 * HTTP/1.1 requests. Bounded: `maxConcurrentStreams` per connection (more are refused by the protocol), Node's
 * own caps on rejected and invalid frames (a reset flood ends the connection with ENHANCE_YOUR_CALM), idle
 * streams and idle connections closed.
 */
export class Http2Front {
  readonly #server: Http2Server;
  readonly #sessions = new Set<ServerHttp2Session>();

  constructor(options: Http2Options, onRequest: (req: Http2ServerRequest, res: Http2ServerResponse) => void) {
    this.#server = createServer(
      {
        settings: {
          maxConcurrentStreams: options.maxConcurrentStreams,
          maxHeaderListSize: options.maxHeaderBytes,
          enablePush: false,
        },
        maxHeaderListPairs: 128,
      },
      onRequest,
    );
    this.#server.on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      let open = 0;
      session.on('stream', (stream: ServerHttp2Stream) => {
        open++;
        stream.once('close', () => open--);
      });
      session.setTimeout(options.sessionIdleMs, () => {
        if (open === 0) session.close();
      });
      session.once('close', () => this.#sessions.delete(session));
    });
    this.#server.on('stream', (stream: ServerHttp2Stream) => {
      stream.setTimeout(options.streamIdleMs, () => stream.close(constants.NGHTTP2_CANCEL));
    });
    this.#server.on('sessionError', options.onSessionError);
  }

  /** Takes a connection whose next bytes are HTTP/2 (the preface put back, or TLS that chose `h2`). */
  accept(socket: Socket): void {
    // Events go out as they are written (the SSE transport coalesces per turn already).
    socket.setNoDelay(true);
    // The HTTP/1.1 server's sockets allow half-open connections; HTTP/2 has no use for one. Left on, a client
    // that goes away (FIN) leaves the session closing gracefully behind a stream that never ends.
    socket.allowHalfOpen = false;
    this.#server.emit('connection', socket);
  }

  /** GOAWAY on every connection: no new streams; open ones may finish (the SSE streams are drained apart). */
  close(): void {
    for (const s of this.#sessions) s.close();
  }

  /** Ends every connection now. */
  destroy(): void {
    for (const s of this.#sessions) s.destroy();
  }
}
