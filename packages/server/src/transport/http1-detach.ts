import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';

/**
 * The listeners Node's HTTP server puts on each HTTP/1.1 connection's socket, by event and function name
 * (`_http_server.js`, Node 22 and 24). A WebSocket upgrade takes the same ones off before the socket leaves the
 * server; net's own listeners (`onReadableStreamEnd` on 'end') and the application's are left alone.
 */
const SERVER_LISTENERS: ReadonlyArray<readonly [event: string, name: string]> = [
  ['data', 'bound socketOnData'],
  ['end', 'bound socketOnEnd'],
  ['close', 'bound socketOnClose'],
  ['drain', 'bound socketOnDrain'],
  ['error', 'socketOnError'],
  ['timeout', 'socketOnTimeout'],
  ['resume', 'onSocketResume'],
  ['pause', 'onSocketPause'],
];

/** The methods of Node's native HTTP parser (`socket.parser` while the server owns the socket) used here. */
interface HttpParser {
  _consumed?: boolean;
  unconsume(): void;
  remove(): void;
  close(): void;
}

type Listener = (...args: unknown[]) => void;

function isParser(p: unknown): p is HttpParser {
  if (typeof p !== 'object' || p === null) return false;
  const o = p as Record<string, unknown>;
  return typeof o.unconsume === 'function' && typeof o.remove === 'function' && typeof o.close === 'function';
}

/**
 * Takes an HTTP/1.1 response's socket off Node's HTTP server once the response head is written, as an upgrade
 * does, and returns it; the caller then owns a plain socket whose remaining bytes are the response body.
 *
 * What goes: the native HTTP parser (unconsumed from the socket, out of the server's list of connections, so
 * neither `headersTimeout`/`requestTimeout` nor `closeAllConnections`/`closeIdleConnections` see the socket any
 * more, then freed), the server's eight socket listeners and its `on`/`addListener`/`prependListener` wrappers,
 * and the request and response objects (nothing refers to them afterwards). What stays: the socket, reading (so
 * the peer's close is seen), with an 'error' listener (an error closes it) and an 'end' listener (a peer that
 * half-closes is ended in turn, as the server did). The caller must end the socket itself, on shutdown too.
 *
 * Returns null, and leaves everything as it was, when the socket is not the response's alone yet (a pipelined
 * response waiting for an earlier one) or when this Node does not look like the one described above (a parser
 * without these methods, a listener missing): the stream then stays a Node response, as it was before.
 */
export function detachHttp1(res: ServerResponse): Socket | null {
  const socket = res.socket;
  if (!(socket instanceof Socket) || socket.destroyed) return null;
  const parser = (socket as { parser?: unknown }).parser;
  if (!isParser(parser)) return null;
  const found: [string, Listener][] = [];
  for (const [event, name] of SERVER_LISTENERS) {
    const listener = socket.listeners(event).find((l) => l.name === name);
    if (listener === undefined) return null;
    found.push([event, listener as Listener]);
  }
  // Whatever the response wrote (the head, the first bytes) is already in the socket's own buffer: with the socket
  // assigned, Node writes a response straight to it.
  res.detachSocket(socket);
  for (const [event, listener] of found) socket.removeListener(event, listener);
  if (parser._consumed === true) parser.unconsume();
  parser._consumed = false;
  // Out of the server's connection list (its time-out checks and closeAllConnections), then freed once the
  // current call stack (which may hold the parser's own callbacks) has unwound.
  parser.remove();
  (socket as { parser?: unknown }).parser = null;
  setImmediate(closeParser, parser);
  // The server's wrappers of these methods unconsume the parser on 'data' listeners; the prototype's, as Node
  // itself restores them once the parser is gone.
  const own = socket as unknown as Record<string, unknown>;
  for (const m of ['on', 'addListener', 'prependListener', 'setEncoding'] as const) {
    if (Object.hasOwn(own, m)) own[m] = Socket.prototype[m];
  }
  socket.on('error', ignoreError);
  socket.on('end', endInTurn);
  // The socket stays flowing (the server had resumed it): with no 'data' listener, what the peer sends is dropped,
  // and its FIN or reset is still seen.
  return socket;
}

function closeParser(parser: HttpParser): void {
  parser.close();
}

/** An error destroys the socket, and 'close' follows: that is where the stream's owner cleans up. */
function ignoreError(): void {}

/** The peer half-closed: end this side too after what is queued (Node's HTTP server did the same). */
function endInTurn(this: Socket): void {
  this.end();
}

/** Ends a close-delimited body: FIN after what is queued, then the socket is destroyed (as `res.end()` did). */
export function endSocket(socket: Socket): void {
  socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', destroySocket);
}

function destroySocket(this: Socket): void {
  this.destroy();
}
