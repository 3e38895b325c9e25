// A new connection's first bytes leave in one write: the WebSocket `101` with the `connected` frame; the SSE head
// with `retry:`, `connected` and `subscribed`. Counted on the hub's side: every time the accepted socket hands
// bytes to the kernel (`_write` for one chunk, `_writev` for several), its bytes are recorded.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

type Chunk = { chunk: Buffer };

/** Every hand-off of the hub's accepted sockets to the kernel, as text, per socket in accept order. */
function recordWrites(port: number): { sockets: string[][]; stop: () => void } {
  const sockets: string[][] = [];
  const onSocket = (message: unknown): void => {
    const socket = (message as { socket: Socket }).socket;
    if (socket.localPort !== port) return;
    const writes: string[] = [];
    sockets.push(writes);
    const s = socket as Socket & {
      _write(chunk: Buffer, encoding: string, cb: (err?: Error) => void): void;
      _writev(chunks: Chunk[], cb: (err?: Error) => void): void;
    };
    const write = s._write.bind(s);
    const writev = s._writev.bind(s);
    s._write = (chunk, encoding, cb) => {
      writes.push(Buffer.from(chunk as Uint8Array).toString('latin1'));
      write(chunk, encoding, cb);
    };
    s._writev = (chunks, cb) => {
      writes.push(chunks.map((c) => Buffer.from(c.chunk as Uint8Array).toString('latin1')).join(''));
      writev(chunks, cb);
    };
  };
  subscribe('net.server.socket', onSocket);
  return { sockets, stop: () => unsubscribe('net.server.socket', onSocket) };
}

describe('first writes of a connection', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub();
  });
  after(async () => {
    await hub.shutdown();
  });

  it('WebSocket: the 101 and the connected frame go out in one write', async () => {
    const rec = recordWrites(hub.port);
    try {
      const ws = await WsTestClient.connect(hub.wsUrl);
      await until(
        () => ws.frames.some((f) => (f as { type?: string }).type === 'connected'),
        () => `no connected frame: ${JSON.stringify(ws.frames)}`,
      );
      assert.equal(rec.sockets.length, 1);
      const writes = rec.sockets[0]!;
      assert.equal(writes.length, 1, writes.join('\n---\n'));
      assert.match(writes[0]!, /^HTTP\/1\.1 101 /);
      assert.match(writes[0]!, /"type":"connected"/);
      await ws.close();
    } finally {
      rec.stop();
    }
  });

  it('SSE: the head, retry, connected and subscribed go out in one write', async () => {
    const rec = recordWrites(hub.port);
    try {
      const sse = await SseTestClient.open(`${hub.url}/sse?channel=first-write`);
      await sse.waitFor((e) => e.event === 'subscribed');
      assert.equal(rec.sockets.length, 1);
      const writes = rec.sockets[0]!;
      assert.equal(writes.length, 1, writes.join('\n---\n'));
      assert.match(writes[0]!, /^HTTP\/1\.1 200 /);
      assert.match(writes[0]!, /\r\n\r\nretry: \d+\n/);
      assert.match(writes[0]!, /event: connected\n/);
      assert.match(writes[0]!, /event: subscribed\n/);
      sse.close();
    } finally {
      rec.stop();
    }
  });
});
