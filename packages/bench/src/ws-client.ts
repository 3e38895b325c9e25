// What a raw-socket WebSocket client writes: the upgrade request and masked client frames (RFC 6455 §5.3).

import { randomBytes } from 'node:crypto';

/** A fixed key: the generator does not check `Sec-WebSocket-Accept`, only the 101 status. */
const KEY = 'c3dpdGNoYm9hcmRiZW5jaA=='; // base64 of the 16 bytes "switchboardbench"

export function upgradeRequest(host: string, path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/** A single-frame client message with opcode `op`, masked with `mask` (4 bytes; random when omitted). */
export function clientFrame(op: number, payload: Buffer, mask: Buffer = randomBytes(4)): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 0x10000 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + len);
  out[0] = 0x80 | op;
  if (head === 2) out[1] = 0x80 | len;
  else if (head === 4) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 0x1_0000_0000), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  mask.copy(out, head, 0, 4);
  for (let i = 0; i < len; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

export function textFrame(text: string): Buffer {
  return clientFrame(0x1, Buffer.from(text));
}

export function pongFrame(payload: Buffer): Buffer {
  return clientFrame(0xa, payload);
}

export function closeFrame(code = 1000): Buffer {
  const p = Buffer.allocUnsafe(2);
  p.writeUInt16BE(code, 0);
  return clientFrame(0x8, p);
}
