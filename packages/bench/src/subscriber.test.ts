// A Subscriber against a fake hub on port 0 that writes literal bytes: the upgrade or stream head, a
// confirmation, publications, a ping. Checks what the subscriber counted and what it sent back; literal
// sequences (gaps, late fills, duplicates, reorders) and the step verdict they lead to are in accounting.test.ts.

import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { DIALECTS } from './dialect.ts';
import { SeqSet } from './seq-set.ts';
import { Subscriber } from './subscriber.ts';
import { WorkerStats } from './worker-stats.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A one-connection server: `script` writes to the socket once the request head has arrived. */
function fakeHub(
  script: (socket: Socket, request: string) => void,
): Promise<{ port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    let head = '';
    let answered = false;
    socket.on('data', (chunk) => {
      received.push(chunk);
      head += chunk.toString('latin1');
      if (!answered && head.includes('\r\n\r\n')) {
        answered = true;
        script(socket, head);
      }
    });
    socket.on('error', () => {}); // the subscriber resets the connection when the test closes it
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ port: typeof addr === 'object' && addr !== null ? addr.port : 0, received });
    }),
  );
}

/** An unmasked server text frame. */
function frame(text: string): Buffer {
  const p = Buffer.from(text);
  assert.ok(p.length < 126);
  return Buffer.concat([Buffer.from([0x81, p.length]), p]);
}

const msg = (offset: number, t: number): string =>
  `{"type":"message","channel":"c","epoch":"e","offset":${offset},"data":{"t":${t},"s":${offset},"p":"x"}}`;

function open(port: number, transport: 'ws' | 'sse', stats: WorkerStats): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const sub: Subscriber = new Subscriber(
      {
        host: '127.0.0.1',
        port,
        transport,
        dialect: DIALECTS.switchboard,
        channel: 'c',
        connectTimeoutMs: 2000,
      },
      stats,
      { ready: () => resolve(sub), fail: (_s, code) => reject(new Error(code)), drop: () => {} },
    );
  });
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not met in time');
}

test('WebSocket: subscribes, counts publications and what a gap leaves owed, answers a ping with a pong', async () => {
  const now = performance.timeOrigin + performance.now();
  const hub = await fakeHub((socket, request) => {
    assert.match(request, /^GET \/ws\?wire=2 HTTP\/1\.1\r\n/);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.write(
      frame('{"type":"connected","client":"x","version":1,"transport":"websocket","heartbeat":25000}'),
    );
    // Wait for the subscribe command before confirming.
    socket.once('data', () => {
      const burst = Buffer.concat([
        frame('{"type":"subscribed","id":1,"channel":"c","epoch":"e","offset":3,"recoverable":true}'),
        frame(msg(4, now)),
        frame(msg(5, now)),
        Buffer.from([0x89, 0x02, 0x68, 0x69]), // ping "hi"
        frame(msg(8, now)), // offsets 6 and 7 never arrive
      ]);
      // Split mid-frame to exercise the reader across reads.
      socket.write(burst.subarray(0, 50));
      setTimeout(() => socket.write(burst.subarray(50)), 10);
    });
  });
  const stats = new WorkerStats();
  const sub = await open(hub.port, 'ws', stats);
  await until(() => stats.totalReceived === 3);
  sub.expect(SeqSet.from([[4, 8]]));
  assert.equal(stats.owed, 2); // 6 and 7 never arrived
  assert.equal(stats.latency.count, 3);
  await until(() => Buffer.concat(hub.received).includes(Buffer.from([0x8a, 0x82]))); // masked pong, 2 bytes
  sub.close();
});

test('SSE over chunked encoding: subscribes and counts publications', async () => {
  const now = performance.timeOrigin + performance.now();
  const hub = await fakeHub((socket, request) => {
    assert.match(request, /^GET \/sse\?channel=c&wire=2 HTTP\/1\.1\r\n/);
    const chunk = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
    socket.write(
      chunk('retry: 2000\n\nevent: subscribed\ndata: {"type":"subscribed","channel":"c","offset":0}\n\n') +
        chunk(`id: 1\ndata: ${msg(1, now)}\n\n: ping\n\nid: 2\ndata: ${msg(2, now).slice(0, 20)}`) +
        chunk(`${msg(2, now).slice(20)}\n\n`),
    );
  });
  const stats = new WorkerStats();
  const sub = await open(hub.port, 'sse', stats);
  await until(() => stats.totalReceived === 2);
  sub.expect(SeqSet.from([[1, 2]]));
  assert.equal(stats.owed, 0);
  assert.equal(stats.duplicates, 0);
  assert.equal(stats.reordered, 0);
  sub.close();
});

test('wire version 2: compact frames ([sid,data], [sid,offset,data]) count as publications too', async () => {
  const now = performance.timeOrigin + performance.now();
  const data = (s: number): string => `{"t":${now},"s":${s},"p":"x"}`;
  const hub = await fakeHub((socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.write(frame('{"type":"connected","client":"x","version":1,"transport":"websocket","wire":2}'));
    socket.once('data', () => {
      socket.write(
        Buffer.concat([
          frame(
            '{"type":"subscribed","id":1,"channel":"c","epoch":"e","offset":0,"recoverable":true,"sid":1}',
          ),
          frame(`[1,${data(1)}]`),
          frame(`[1,${data(2)}]`),
          frame(`[1,4,${data(4)}]`),
        ]),
      );
    });
  });
  const stats = new WorkerStats();
  const sub = await open(hub.port, 'ws', stats);
  await until(() => stats.totalReceived === 3);
  sub.expect(SeqSet.from([[1, 4]]));
  assert.equal(stats.owed, 1); // 3 never arrived
  sub.close();
});

test('a refused upgrade fails with the HTTP status as its code', async () => {
  const hub = await fakeHub((socket) =>
    socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'),
  );
  await assert.rejects(open(hub.port, 'ws', new WorkerStats()), /http_503/);
});
