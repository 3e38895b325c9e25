// An HTTP/1.1 event stream leaves Node's HTTP server once its head is out (issue 17: an idle stream keeps only
// its socket, not the parser, the request and the response). Seen from a real client: what it sends after its
// request is no longer parsed as another request (with the parser still attached, bytes that are not HTTP got a
// 400 written into the stream and the stream ended), its leaving is still seen, and a shutdown still ends the
// stream cleanly.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

/** A raw HTTP/1.1 client of `/sse`: everything it reads, as text. */
function stream(hub: TestHub, channel: string) {
  const socket = connect({ port: hub.port, host: '127.0.0.1' });
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    text += d;
  });
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  socket.write(`GET /sse?channel=${channel} HTTP/1.1\r\nHost: hub\r\nAccept: text/event-stream\r\n\r\n`);
  const until = async (s: string): Promise<void> => {
    while (!text.includes(s)) {
      if (socket.readableEnded) throw new Error(`the stream ended before ${JSON.stringify(s)}: ${text}`);
      await Promise.race([once(socket, 'data'), ended]);
    }
  };
  return { socket, ended, until, read: () => text };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not seen: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('an HTTP/1.1 SSE stream off the HTTP server', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub();
  });
  after(() => hub.shutdown());

  it('is not parsed any more: bytes after the request get no 400, and the stream goes on', async () => {
    const c = stream(hub, 'detach:a');
    await c.until('event: subscribed');
    assert.match(c.read(), /^HTTP\/1\.1 200 OK\r\n/);
    c.socket.write('THIS IS NOT HTTP\r\n\r\nGET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n');
    await hub.publish('detach:a', { after: 'garbage' });
    await c.until('"after":"garbage"');
    const text = c.read();
    assert.equal(text.match(/HTTP\/1\.1 /g)?.length, 1, text);
    assert.ok(!c.socket.readableEnded);
    const closed = once(c.socket, 'close');
    c.socket.destroy();
    await closed;
  });

  it('sees the client go, by reset or by half-close (answered with the end of the stream)', async () => {
    // The stream of the test before may still be on its way out.
    await until(() => hub.node.connectionCount === 0, 'no stream left');
    const base = 0;
    const a = stream(hub, 'detach:b');
    const b = stream(hub, 'detach:b');
    await a.until('event: subscribed');
    await b.until('event: subscribed');
    assert.equal(hub.node.connectionCount, base + 2);
    a.socket.resetAndDestroy();
    await until(() => hub.node.connectionCount === base + 1, 'the reset stream gone');
    b.socket.end();
    await b.ended;
    await until(() => hub.node.connectionCount === base, 'the half-closed stream gone');
  });
});

describe('a shutdown and HTTP/1.1 SSE streams off the HTTP server', () => {
  it('ends every stream with a disconnect event, and the shutdown completes', async () => {
    const hub = await startTestHub();
    const streams = [stream(hub, 'detach:s'), stream(hub, 'detach:s'), stream(hub, 'detach:t')];
    for (const s of streams) await s.until('event: subscribed');
    const closed: Promise<unknown>[] = streams.map((s) => once(s.socket as Socket, 'close'));
    await hub.shutdown();
    await Promise.all(closed);
    for (const s of streams) {
      assert.match(s.read(), /event: disconnect\ndata: \{"type":"disconnect","code":\d+,"reason":"shutdown"/);
      assert.ok(s.socket.readableEnded, 'the stream ended with a FIN');
    }
  });
});
