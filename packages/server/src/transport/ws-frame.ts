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
  const h = Buffer.allocUnsafe(headerLength(length));
  writeHeader(h, opcode, length);
  return h;
}

/** Bytes of the header of a frame carrying `length` payload bytes: 2, 4 or 10. */
function headerLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/** Writes a final, unmasked frame's header at the start of `into`; returns its length. */
function writeHeader(into: Buffer, opcode: number, length: number): number {
  into[0] = 0x80 | opcode;
  if (length < 126) {
    into[1] = length;
    return 2;
  }
  if (length < 0x10000) {
    into[1] = 126;
    into.writeUInt16BE(length, 2);
    return 4;
  }
  into[1] = 127;
  into.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
  into.writeUInt32BE(length >>> 0, 6);
  return 10;
}

/** A complete text frame (header + UTF-8 payload) in one buffer: the header is written in place, not copied. */
export function encodeTextFrame(text: string): Buffer {
  const payloadLength = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(headerLength(payloadLength) + payloadLength);
  frame.write(text, writeHeader(frame, OPCODE_TEXT, payloadLength), 'utf8');
  return frame;
}

/**
 * A complete binary frame carrying a binary publication's envelope (docs/protocol.md, "Binary data"): the
 * header's length (u32, big-endian), the header's JSON text, then `payload`, in one buffer.
 */
export function encodeEnvelopeFrame(headerJson: string, payload: Uint8Array): Buffer {
  const jsonLength = Buffer.byteLength(headerJson);
  const length = 4 + jsonLength + payload.length;
  const frame = Buffer.allocUnsafe(headerLength(length) + length);
  let at = frame.writeUInt32BE(jsonLength, writeHeader(frame, OPCODE_BINARY, length));
  at += frame.write(headerJson, at, 'utf8');
  frame.set(payload, at);
  return frame;
}
