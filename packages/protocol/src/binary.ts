/**
 * Binary publications on the wire (docs/protocol.md, "Binary data"). Pure functions of bytes and strings.
 *
 * A payload of bytes travels in one of two forms:
 * - **base64 in JSON**: `"data_b64": "<standard base64, padded>"` in place of `"data"` — in the HTTP API, in
 *   commands, in `message` frames on SSE and on text-only WebSocket connections, and in history;
 * - **a binary envelope** on WebSocket connections that negotiated the `switchboard.binary` subprotocol, in
 *   both directions:
 *
 *     bytes 0–3   H, the header's length in bytes (unsigned 32-bit, big-endian)
 *     bytes 4…    the header: H bytes of UTF-8 JSON, an object — the frame or command without its data
 *     the rest    the payload's bytes, as published
 *
 *   Server to client the header is a `message` frame (`type`, `channel`, `epoch`, `offset`, `info`); client to
 *   server it is a `publish` command (`type`, `id`, `channel`, `idempotencyKey`).
 */

/** The WebSocket subprotocol a client offers to receive binary publications as binary frames. */
export const BINARY_SUBPROTOCOL = 'switchboard.binary';

/** Longest envelope header accepted: a channel name, an id, an idempotency key and client info fit well inside. */
export const MAX_ENVELOPE_HEADER_BYTES = 16_384;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648 §4) with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${ALPHABET[n >> 18]!}${ALPHABET[(n >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[n >> 18]!}${ALPHABET[(n >> 12) & 63]!}${ALPHABET[(n >> 6) & 63]!}=`;
  }
  return out;
}

/** The bytes of standard padded base64, or null when `text` is not exactly that (no whitespace, no URL alphabet). */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const a = value(text, i);
    const b = value(text, i + 1);
    const c = last && pad === 2 ? 0 : value(text, i + 2);
    const d = last && pad >= 1 ? 0 : value(text, i + 3);
    if ((a | b | c | d) < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function value(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? VALUES[c]! : -1;
}

/** The length in bytes of what well-formed padded base64 decodes to, without decoding it. */
export function base64ByteLength(text: string): number {
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - pad;
}

/** Why an envelope could not be read; `invalid_json` when its header is not JSON, else `bad_request`. */
export interface EnvelopeError {
  readonly code: 'bad_request' | 'invalid_json';
  readonly message: string;
}

export type EnvelopeResult =
  | { readonly ok: true; readonly header: Record<string, unknown>; readonly payload: Uint8Array }
  | { readonly ok: false; readonly error: EnvelopeError };

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** An envelope: the header's JSON text, then the payload's bytes (which the result shares nothing with). */
export function encodeEnvelope(headerJson: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const header = utf8.encode(headerJson);
  const out = new Uint8Array(4 + header.length + payload.length);
  new DataView(out.buffer).setUint32(0, header.length);
  out.set(header, 4);
  out.set(payload, 4 + header.length);
  return out;
}

/**
 * Reads an envelope. The payload is a view into `frame` (no copy). Refuses a frame shorter than its header
 * length says, a header over `MAX_ENVELOPE_HEADER_BYTES`, one that is not UTF-8 JSON, and one that is not an
 * object or that carries `data` or `data_b64` itself.
 */
export function decodeEnvelope(frame: Uint8Array): EnvelopeResult {
  if (frame.length < 4) return bad('a binary frame starts with a 4-byte header length');
  const length = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  if (length > MAX_ENVELOPE_HEADER_BYTES)
    return bad(`the envelope header is longer than ${MAX_ENVELOPE_HEADER_BYTES} bytes`);
  if (4 + length > frame.length) return bad('the binary frame is shorter than its header length says');
  let header: unknown;
  try {
    header = JSON.parse(strictUtf8.decode(frame.subarray(4, 4 + length)));
  } catch {
    return { ok: false, error: { code: 'invalid_json', message: 'the envelope header is not UTF-8 JSON' } };
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    return bad('the envelope header must be a JSON object');
  const h = header as Record<string, unknown>;
  if (Object.hasOwn(h, 'data') || Object.hasOwn(h, 'data_b64'))
    return bad('the envelope header must not carry data: the payload follows it');
  return { ok: true, header: h, payload: frame.subarray(4 + length) };
}

function bad(message: string): EnvelopeResult {
  return { ok: false, error: { code: 'bad_request', message } };
}
