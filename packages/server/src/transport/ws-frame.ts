/**
 * Server-to-client WebSocket framing (RFC 6455 §5.2), pure: bytes out, no socket. Server frames are never
 * masked, so one frame's bytes can be written to any number of sockets.
 */
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/** The header of a final, unmasked text frame carrying `length` payload bytes. */
export function textFrameHeader(length: number): Buffer {
  return frameHeader(OPCODE_TEXT, length);
}

/** The header of a final, unmasked binary frame carrying `length` payload bytes. */
export function binaryFrameHeader(length: number): Buffer {
  return frameHeader(OPCODE_BINARY, length);
}

function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) {
    const h = Buffer.allocUnsafe(2);
    h[0] = 0x80 | opcode;
    h[1] = length;
    return h;
  }
  if (length < 0x10000) {
    const h = Buffer.allocUnsafe(4);
    h[0] = 0x80 | opcode;
    h[1] = 126;
    h.writeUInt16BE(length, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = 0x80 | opcode;
  h[1] = 127;
  h.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
  h.writeUInt32BE(length >>> 0, 6);
  return h;
}

/** A complete text frame (header + UTF-8 payload) in one buffer. */
export function encodeTextFrame(text: string): Buffer {
  const payloadLength = Buffer.byteLength(text);
  const header = textFrameHeader(payloadLength);
  const frame = Buffer.allocUnsafe(header.length + payloadLength);
  header.copy(frame, 0);
  frame.write(text, header.length, 'utf8');
  return frame;
}

/**
 * A complete binary frame carrying a binary publication's envelope (docs/protocol.md, "Binary data"): the
 * header's length (u32, big-endian), the header's JSON text, then `payload`, in one buffer.
 */
export function encodeEnvelopeFrame(headerJson: string, payload: Uint8Array): Buffer {
  const headerLength = Buffer.byteLength(headerJson);
  const length = 4 + headerLength + payload.length;
  const wsHeader = binaryFrameHeader(length);
  const frame = Buffer.allocUnsafe(wsHeader.length + length);
  wsHeader.copy(frame, 0);
  let at = frame.writeUInt32BE(headerLength, wsHeader.length);
  at += frame.write(headerJson, at, 'utf8');
  frame.set(payload, at);
  return frame;
}
