// detachHttp1 against Node's own HTTP server and real sockets: after the head, the socket has no HTTP parser and
// none of the server's listeners, the server's connection list no longer holds it, and the socket still carries
// the body, sees the peer leave and ends cleanly. If a Node release changes what the detach relies on, it returns
// null and these tests fail (the hub then keeps serving streams the old way, at the old memory cost).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { detachHttp1, endSocket } from './http1-detach.ts';

const HEAD = { 'content-type': 'text/event-stream', connection: 'close' };

interface Detached {
  readonly socket: Socket | null;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/** A server whose every request is answered with a close-delimited head and `first`, then detached. */
async function serve(): Promise<{ server: Server; port: number; next: () => Promise<Detached> }> {
  const waiting: ((d: Detached) => void)[] = [];
  const ready: Detached[] = [];
  const server = createServer({ headersTimeout: 2_000, requestTimeout: 4_000 }, (req, res) => {
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.writeHead(200, HEAD);
    res.write('first\n');
    const d = { socket: detachHttp1(res), req, res };
    const w = waiting.shift();
    if (w === undefined) ready.push(d);
    else w(d);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const next = (): Promise<Detached> => {
    const d = ready.shift();
    return d === undefined ? new Promise((r) => waiting.push(r)) : Promise.resolve(d);
  };
  return { server, port, next };
}

/** A raw client: everything it reads, and when the server ends the connection. */
function client(port: number, request = 'GET /sse HTTP/1.1\r\nHost: hub\r\n\r\n') {
  const socket = connect({ port, host: '127.0.0.1' });
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    text += d;
  });
  const ended = once(socket, 'end');
  socket.write(request);
  const until = async (s: string): Promise<string> => {
    while (!text.includes(s)) await once(socket, 'data');
    return text;
  };
  return { socket, ended, until, read: () => text };
}

/** Every listener on the socket that Node's HTTP server put there, by name. */
function serverListeners(socket: Socket): string[] {
  return socket
    .eventNames()
    .flatMap((e) => socket.listeners(e).map((l) => `${String(e)}:${l.name}`))
    .filter((n) => /socketOn|onSocket|socketListenerWrap|onServerResponseClose/.test(n));
}

describe('detachHttp1', () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  it("takes the socket off the server: no parser, none of the server's listeners, no request or response", async () => {
    const { server, port, next } = await serve();
    servers.push(server);
    const c = client(port);
    const { socket, req, res } = await next();
    assert.ok(socket instanceof Socket, 'detached');
    assert.equal(socket, req.socket);
    assert.equal((socket as { parser?: unknown }).parser, null);
    assert.deepEqual(serverListeners(socket), []);
    assert.equal(socket.listenerCount('data'), 0);
    assert.equal(socket.on, Socket.prototype.on);
    assert.equal(res.socket, null);
    // The head and the first bytes went out before the detach; the rest is written to the socket itself.
    socket.write('second\n');
    const text = await c.until('second\n');
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\n\r\nfirst\nsecond\n$/);
    assert.doesNotMatch(text, /transfer-encoding/i);
    const closed = once(socket, 'close');
    endSocket(socket);
    await c.ended;
    await closed;
    assert.match(c.read(), /first\nsecond\n$/);
  });

  it("is out of the server's connection list: closeAllConnections and closeIdleConnections leave it be", async () => {
    const { server, port, next } = await serve();
    servers.push(server);
    const c = client(port);
    const { socket } = await next();
    assert.ok(socket !== null);
    // An HTTP/1.1 connection still on the server, idle between requests: these two do reach it.
    const other = connect({ port, host: '127.0.0.1' });
    await once(other, 'connect');
    const otherClosed = once(other, 'close');
    server.closeIdleConnections();
    server.closeAllConnections();
    assert.equal(socket.destroyed, false);
    await otherClosed;
    socket.write('still here\n');
    await c.until('still here\n');
    socket.destroy();
    await c.ended;
  });

  it('sees the peer go: a reset or a close ends in the socket closing', async () => {
    const { server, port, next } = await serve();
    servers.push(server);
    const c = client(port);
    const { socket } = await next();
    assert.ok(socket !== null);
    await c.until('first\n');
    // Not `once(socket, 'close')`: that rejects on the 'error' (ECONNRESET) before it, which the detached socket
    // must swallow (an 'error' with no listener would end the process).
    const closed = new Promise<boolean>((resolve) => socket.once('close', resolve));
    c.socket.resetAndDestroy();
    await closed;
  });

  it('ends its side when the peer half-closes, and ignores what the peer sends', async () => {
    const { server, port, next } = await serve();
    servers.push(server);
    let clientErrors = 0;
    server.on('clientError', () => clientErrors++);
    const c = client(port);
    const { socket } = await next();
    assert.ok(socket !== null);
    await c.until('first\n');
    // Bytes after the request are not parsed as another request any more: no 400 on the stream.
    c.socket.write('NOT HTTP AT ALL\r\n\r\n');
    socket.write('after garbage\n');
    await c.until('after garbage\n');
    const closed = once(socket, 'close');
    c.socket.end();
    await c.ended;
    await closed;
    assert.equal(clientErrors, 0);
    assert.doesNotMatch(c.read(), /400/);
  });

  it('detaches a stream on a kept-alive connection after an earlier request was answered', async () => {
    let detached: Socket | null | undefined;
    const server = createServer((req, res) => {
      if (req.url === '/plain') return void res.end('plain');
      res.useChunkedEncodingByDefault = false;
      res.shouldKeepAlive = false;
      res.writeHead(200, HEAD);
      res.write('first\n');
      detached = detachHttp1(res);
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const c = client(port, 'GET /plain HTTP/1.1\r\nHost: hub\r\n\r\n');
    await c.until('plain');
    c.socket.write('GET /sse HTTP/1.1\r\nHost: hub\r\n\r\n');
    await c.until('first\n');
    assert.ok(detached instanceof Socket);
    assert.equal((detached as { parser?: unknown }).parser, null);
    assert.deepEqual(serverListeners(detached), []);
    detached.write('second\n');
    await c.until('second\n');
    const closed = new Promise((resolve) => detached?.once('close', resolve));
    endSocket(detached);
    await c.ended;
    await closed;
  });

  it('leaves a pipelined response that has no socket yet to Node: null, and the response still works', async () => {
    let answered: ServerResponse | undefined;
    let detached: Socket | null | undefined;
    const server = createServer((req, res) => {
      if (req.url === '/first') {
        answered = res;
        return;
      }
      detached = detachHttp1(res);
      res.end('second');
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const c = client(
      port,
      'GET /first HTTP/1.1\r\nHost: hub\r\n\r\nGET /second HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n',
    );
    while (detached === undefined) await new Promise((r) => setImmediate(r));
    assert.equal(detached, null);
    assert.ok(answered !== undefined);
    answered.end('first');
    await c.ended;
    assert.match(c.read(), /first[\s\S]*HTTP\/1\.1 200 OK[\s\S]*second$/);
  });
});
