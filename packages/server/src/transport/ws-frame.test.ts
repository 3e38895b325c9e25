import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { encodeTextFrame, textFrameHeader } from './ws-frame.ts';

describe('WebSocket framing', () => {
  it('builds unmasked final text frame headers for each length class (RFC 6455 5.2)', () => {
    assert.deepEqual([...textFrameHeader(0)], [0x81, 0x00]);
    assert.deepEqual([...textFrameHeader(125)], [0x81, 125]);
    assert.deepEqual([...textFrameHeader(126)], [0x81, 126, 0x00, 126]);
    assert.deepEqual([...textFrameHeader(65_535)], [0x81, 126, 0xff, 0xff]);
    assert.deepEqual([...textFrameHeader(65_536)], [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert.deepEqual([...textFrameHeader(2 ** 32 + 5)], [0x81, 127, 0, 0, 0, 1, 0, 0, 0, 5]);
  });

  it('frames UTF-8 text by byte length', () => {
    assert.deepEqual([...encodeTextFrame('hé')], [0x81, 3, 0x68, 0xc3, 0xa9]);
  });

  it('produces frames that a real WebSocket client reads back', async () => {
    const texts = ['', 'x'.repeat(200), 'ü'.repeat(40_000), '{"type":"message"}'];
    // A raw server: accept any handshake, then write our frames, each split in two as a socket may deliver it.
    const server = createServer((socket) => {
      socket.once('data', (req) => {
        const key = /Sec-WebSocket-Key: (.+)\r\n/i.exec(String(req))![1]!;
        const accept = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        for (const t of texts) {
          const frame = encodeTextFrame(t);
          socket.write(frame.subarray(0, 1));
          socket.write(frame.subarray(1));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        got.push(String(data));
        if (got.length === texts.length) resolve();
      });
      ws.on('error', reject);
    });
    ws.terminate();
    server.close();
    assert.deepEqual(got, texts);
  });
});
