// The client side of bench/idle-heap.ts, in a process of its own so that its sockets do not count in the hub's
// memory: opens N connections to one channel (WebSocket with a masked subscribe frame, or an SSE GET), reports
// how many were subscribed, then reads and discards until told to exit.
// Arguments: <port> <ws|sse> <n> <channel>.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const [portArg, transport, nArg, channel = 'bench-idle'] = process.argv.slice(2);
const port = Number(portArg);
const n = Number(nArg);
if (!Number.isInteger(port) || !Number.isInteger(n) || (transport !== 'ws' && transport !== 'sse')) {
  console.error('usage: idle-clients.ts <port> <ws|sse> <n> [channel]');
  process.exit(2);
}

/** A client-to-server frame (masked, as RFC 6455 requires): text (0x1) or pong (0xA). */
function frame(opcode: number, data: Buffer | string): Buffer {
  const payload = Buffer.from(data);
  const key = randomBytes(4);
  const head =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
      : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 255]);
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (key[i % 4] ?? 0);
  return Buffer.concat([head, key, payload]);
}

/** Reads the hub's frames (unmasked) and answers each ping control frame with a pong; discards the rest. */
function pongs(s: Socket): (d: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (d) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = (buf[0] ?? 0) & 0x0f;
      let len = (buf[1] ?? 0) & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      if (buf.length < at + len) return;
      if (opcode === 0x9) s.write(frame(0xa, buf.subarray(at, at + len)));
      buf = buf.subarray(at + len);
    }
  };
}

const sockets: Socket[] = [];
let subscribed = 0;

function open(i: number): Promise<void> {
  return new Promise((resolve) => {
    // Loopback sources 127.0.0.1-8 give more ephemeral ports (MACHINE-NOTES.md).
    const s = connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${1 + (i % 8)}` });
    sockets.push(s);
    let seen = '';
    let sent = false;
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    if (transport === 'ws') {
      const key = randomBytes(16).toString('base64');
      s.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
      );
    } else {
      s.write(`GET /sse?channel=${channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    }
    const onData = (d: Buffer): void => {
      seen += d.toString('latin1');
      if (transport === 'ws' && !sent && seen.includes('\r\n\r\n')) {
        sent = true;
        s.write(frame(0x1, JSON.stringify({ type: 'subscribe', id: 1, channel })));
      }
      if (seen.includes('"subscribed"') || seen.includes('event: subscribed')) {
        subscribed++;
        s.off('data', onData);
        // Idle from now on, but alive: the hub drops a WebSocket peer that does not answer its pings.
        if (transport === 'ws') s.on('data', pongs(s));
        else s.on('data', () => {});
        resolve();
      }
    };
    s.on('data', onData);
  });
}

for (let i = 0; i < n; i += 200) {
  await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, j) => open(i + j)));
}
process.send?.({ subscribed });
process.on('message', (m) => {
  if (m !== 'exit') return;
  for (const s of sockets) s.destroy();
  process.exit(0);
});
