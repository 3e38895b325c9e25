// The publisher's raw HTTP/1.1 client against a fake hub on port 0 that reads the requests and writes literal
// answers: split at awkward places, pipelined answers in one write, chunked bodies, `Connection: close`, a close
// without an answer. Checks each publish's outcome and the bytes the hub received.

import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { type ParsedResponse, ResponseReader } from './http-response.ts';
import { Publisher } from './publisher.ts';

const servers: Server[] = [];
const publishers: Publisher[] = [];
after(() => {
  for (const p of publishers) p.close();
  for (const s of servers) s.close();
});

interface Req {
  head: string;
  body: string;
  /** Which connection (0, 1, …) and which request on it (0, 1, …). */
  conn: number;
  nth: number;
}

/** A server that parses requests (Content-Length bodies) and hands each to `answer` with its socket. */
async function fakeHub(
  answer: (socket: Socket, req: Req, all: Req[]) => void,
): Promise<{ port: number; reqs: Req[] }> {
  const reqs: Req[] = [];
  let conns = 0;
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const conn = conns++;
    let nth = 0;
    let buf = '';
    socket.setEncoding('latin1');
    socket.on('data', (s: string) => {
      buf += s;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const req = { head: buf.slice(0, end), body: buf.slice(end + 4, end + 4 + length), conn, nth: nth++ };
        buf = buf.slice(end + 4 + length);
        reqs.push(req);
        answer(socket, req, reqs);
      }
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr !== null ? addr.port : 0, reqs };
}

function publisher(port: number, extra: { requestSockets?: number; sockets?: number } = {}): Publisher {
  const p = new Publisher({ host: '127.0.0.1', port, apiKey: 'k1', ...extra });
  publishers.push(p);
  return p;
}

/** Writes `text` in pieces of `size` bytes, one write per macrotask so each is its own TCP segment. */
async function dribble(socket: Socket, text: string, size: number): Promise<void> {
  for (let i = 0; i < text.length; i += size) {
    if (socket.destroyed) return;
    socket.write(text.slice(i, i + size), 'latin1');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}';
const CHUNKED =
  'HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '5;ext=1\r\nqueue\r\n10\r\nd messages: 1 \r\n\r\n0\r\nX-Trailer: a\r\n\r\n';

test('request mode: the request bytes, and answers split at every few bytes', async () => {
  const { port, reqs } = await fakeHub((socket, req) => {
    void dribble(socket, req.nth === 0 ? OK : CHUNKED, 3);
  });
  const p = publisher(port);
  const a = await p.post({ path: '/api/publish', body: '{"channel":"c","data":{"é":1}}' });
  const b = await p.post({ path: '/pub?channel=c', body: '{"x":2}' });
  assert.deepEqual([a.ok, a.code, b.ok, b.code], [true, '200', true, '202']);
  assert.equal(reqs.length, 2);
  const first = reqs[0]!;
  assert.match(first.head, /^POST \/api\/publish HTTP\/1\.1\r\n/);
  assert.match(first.head, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${port}\r\n`));
  assert.match(first.head, /\r\nAuthorization: Bearer k1\r\n/);
  // Content-Length counts bytes: `é` is two.
  assert.match(first.head, /\r\nContent-Length: 31(\r\n|$)/);
  assert.equal(Buffer.from(first.body, 'latin1').toString('utf8'), '{"channel":"c","data":{"é":1}}');
  assert.match(reqs[1]!.head, /^POST \/pub\?channel=c HTTP\/1\.1\r\n/);
  // One keep-alive connection carried both.
  assert.deepEqual(
    reqs.map((r) => [r.conn, r.nth]),
    [
      [0, 0],
      [0, 1],
    ],
  );
});

test('pipeline mode: requests back to back, every answer in one write, read in order', async () => {
  const answers = [
    OK,
    CHUNKED,
    'HTTP/1.1 204 No Content\r\n\r\n',
    'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nboom!',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n',
    'HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ];
  const { port, reqs } = await fakeHub((socket, _req, all) => {
    if (all.length === answers.length) socket.write(answers.join(''), 'latin1');
  });
  const p = publisher(port, { sockets: 1 });
  await p.setMode('pipeline');
  const outcomes = await Promise.all(
    answers.map((_, i) => p.post({ path: '/api/publish', body: `{"n":${i}}` })),
  );
  assert.deepEqual(
    outcomes.map((o) => o.code),
    ['200', '202', '204', '500', '201', '429'],
  );
  assert.deepEqual(
    outcomes.map((o) => o.ok),
    [true, true, true, false, true, false],
  );
  assert.deepEqual(
    reqs.map((r) => [r.conn, r.body]),
    answers.map((_, i) => [0, `{"n":${i}}`]),
  );
});

test('Connection: close: the answer counts, the next request goes to a new connection', async () => {
  // Every second answer on a connection closes it, as nginx does after its keep-alive request limit.
  const { port, reqs } = await fakeHub((socket, req) => {
    if (req.nth === 1) {
      socket.write(`HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok`);
      socket.end();
    } else socket.write(OK);
  });
  const p = publisher(port, { requestSockets: 1 });
  const codes: string[] = [];
  for (let i = 0; i < 5; i++) codes.push((await p.post({ path: '/api/publish', body: '{}' })).code);
  assert.deepEqual(codes, ['200', '200', '200', '200', '200']);
  assert.deepEqual(
    reqs.map((r) => [r.conn, r.nth]),
    [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [2, 0],
    ],
  );
});

test('Connection: close with requests queued: they go to a new connection, none is lost', async () => {
  const { port, reqs } = await fakeHub((socket, req) => {
    if (req.nth === 1) {
      socket.write(`HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.end();
    } else socket.write(OK);
  });
  // One connection at most: the other requests wait in the queue for it.
  const p = publisher(port, { requestSockets: 1 });
  const outcomes = await Promise.all(
    [0, 1, 2, 3, 4].map((n) => p.post({ path: '/api/publish', body: `{"n":${n}}` })),
  );
  assert.deepEqual(
    outcomes.map((o) => o.code),
    ['200', '200', '200', '200', '200'],
  );
  assert.deepEqual(
    reqs.map((r) => [r.conn, r.body]),
    [
      [0, '{"n":0}'],
      [0, '{"n":1}'],
      [1, '{"n":2}'],
      [1, '{"n":3}'],
      [2, '{"n":4}'],
    ],
  );
});

test('a body read until the close, and a close with requests unanswered', async () => {
  const { port } = await fakeHub((socket, req) => {
    if (req.conn === 0) socket.end('HTTP/1.0 200 OK\r\n\r\nbody until the close');
    else if (req.conn === 1) socket.destroy();
    else socket.write(OK);
  });
  const p = publisher(port, { requestSockets: 1 });
  const a = await p.post({ path: '/api/publish', body: '{}' });
  const b = await p.post({ path: '/api/publish', body: '{}' });
  const c = await p.post({ path: '/api/publish', body: '{}' });
  assert.deepEqual([a.ok, a.code], [true, '200']);
  // No answer: the connection's end (`closed`) or the socket error that came with it (ECONNRESET, EPIPE).
  assert.equal(b.ok, false);
  assert.match(b.code, /^(closed|E[A-Z]+)$/);
  assert.deepEqual([c.ok, c.code], [true, '200']);
});

test('pipeline mode: requests pipelined past a closing answer fail and are counted', async () => {
  const { port } = await fakeHub((socket, req, all) => {
    if (req.conn !== 0) socket.write(OK);
    else if (all.length === 3) {
      socket.write(`${OK}HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.end();
    }
  });
  const p = publisher(port, { sockets: 1 });
  await p.setMode('pipeline');
  const outcomes = await Promise.all([1, 2, 3].map(() => p.post({ path: '/api/publish', body: '{}' })));
  assert.deepEqual(
    outcomes.map((o) => o.ok),
    [true, true, false],
  );
  assert.equal(outcomes[2]!.code, 'closed');
  // The next publish opens a new connection.
  assert.equal((await p.post({ path: '/api/publish', body: '{}' })).code, '200');
});

test('the reader, fed one byte at a time, finds the same responses as fed at once', () => {
  const text = `${OK}${CHUNKED}HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\n\r\nabc`;
  const whole: ParsedResponse[] = [];
  new ResponseReader().push(text, (r) => whole.push(r));
  const bytes: ParsedResponse[] = [];
  const r = new ResponseReader();
  for (const ch of text) r.push(ch, (x) => bytes.push(x));
  const want = [
    { status: 200, close: false },
    { status: 202, close: false },
    { status: 200, close: true },
  ];
  assert.deepEqual(whole, want);
  assert.deepEqual(bytes, want);
  assert.throws(() => new ResponseReader().push('SSH-2.0-x\r\n\r\n', () => {}));
});
