// A drain, seen from the outside: once the hub starts shutting down it refuses new WebSocket and SSE
// subscribers with 503 `shutting_down`, `/readyz` says `draining`, and a client that ignores the 4000 close is
// cut off when `shutdownTimeout` runs out instead of holding the process open.
//
// A drain stops listening first, so a request can only reach the hub over a connection it had already
// accepted: each probe below opens its socket and sends the first line of its request before the drain (the
// hub keeps connections with a request under way), and the rest once the drain has begun.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { startTestHub } from '../helpers/hub.ts';

/** A request whose first line is sent now and the rest by `finish()`; resolves with the raw answer. */
async function halfRequest(
  port: number,
  firstLine: string,
  rest: string,
): Promise<{ finish: () => Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let answer = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    answer += d;
  });
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  await new Promise<void>((resolve) => socket.write(`${firstLine}\r\n`, () => resolve()));
  // The bytes are in the kernel once the write calls back; the hub (in this process) reads them in the next
  // poll phase, which two setImmediate turns are sure to include.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return {
    finish: async () => {
      socket.write(rest);
      await Promise.race([
        ended,
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (/\r\n\r\n/.test(answer) && /\}$/.test(answer)) resolve();
          };
          socket.on('data', check);
          check();
        }),
      ]);
      socket.destroy();
      return answer;
    },
  };
}

/**
 * A WebSocket client on a raw socket that reads everything but never answers a close frame and never closes:
 * resolves `closeFrame` when the hub's close arrives (its code), and `gone` when the hub cuts the socket.
 */
async function deafWsClient(port: number): Promise<{ closeFrame: Promise<number>; gone: Promise<void> }> {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  let buf = Buffer.alloc(0);
  const closeFrame = new Promise<number>((resolve) => {
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const at = buf.indexOf(Buffer.from([0x88])); // FIN + close opcode, unmasked, short payload
      if (at >= 0 && buf.length >= at + 4) resolve(buf.readUInt16BE(at + 2));
    });
  });
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('data', () => resolve())); // the 101 and `connected`
  return { closeFrame, gone };
}

describe('drain', () => {
  it('refuses new WebSocket and SSE subscribers with 503 shutting_down, /readyz says draining, and a client that ignores the close is cut off after a short grace, not at shutdownTimeout', async () => {
    const shutdownTimeoutMs = 10_000;
    const hub = await startTestHub({ server: { shutdownTimeoutMs } });
    const deaf = await deafWsClient(hub.port);
    const ws = await halfRequest(
      hub.port,
      'GET /ws HTTP/1.1',
      'Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const sse = await halfRequest(hub.port, 'GET /sse?channel=a HTTP/1.1', 'Host: x\r\n\r\n');
    const ready = await halfRequest(hub.port, 'GET /readyz HTTP/1.1', 'Host: x\r\n\r\n');

    const stopped = hub.shutdown();
    assert.equal(await deaf.closeFrame, 4000);
    const drainSeen = performance.now();

    const wsAnswer = await ws.finish();
    assert.match(wsAnswer, /^HTTP\/1\.1 503 /, `upgrade during a drain: ${wsAnswer}`);
    assert.match(wsAnswer, /"code":"shutting_down"/);
    const sseAnswer = await sse.finish();
    assert.match(sseAnswer, /^HTTP\/1\.1 503 /, `SSE during a drain: ${sseAnswer}`);
    assert.match(sseAnswer, /"code":"shutting_down"/);
    assert.match(sseAnswer, /retry-after: 1\r\n/i);
    const readyAnswer = await ready.finish();
    assert.match(readyAnswer, /^HTTP\/1\.1 503 /, `/readyz during a drain: ${readyAnswer}`);
    assert.match(readyAnswer, /"status":"draining"/);

    // The deaf client takes what it is sent but never answers the close: it is cut after a grace without
    // progress (1 s; ws's own close timeout is 30 s), and the drain ends then, long before shutdownTimeout.
    let cut = false;
    void deaf.gone.then(() => {
      cut = true;
    });
    await stopped;
    const held = performance.now() - drainSeen;
    await until(
      () => cut,
      () =>
        `the deaf client was still connected 5 s after the hub's shutdown finished (${Math.round(held)} ms)`,
    );
    assert.ok(
      held < shutdownTimeoutMs / 2,
      `the drain took ${Math.round(held)} ms: the deaf client held it towards shutdownTimeout (${shutdownTimeoutMs} ms)`,
    );
  });
});
