import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  base64ByteLength,
  decodeBase64,
  decodeEnvelope,
  encodeBase64,
  encodeEnvelope,
  MAX_ENVELOPE_HEADER_BYTES,
} from './binary.ts';
import { parseBinaryCommand, parseCommand, validateCommand } from './commands.ts';

const limits = { maxChannelLength: 20, maxHistoryLimit: 100, maxJsonDepth: 64 };
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** An envelope from literal parts: the header length as 4 bytes, then the header and payload. */
function literal(length: number, header: string, payload: number[] = []): Uint8Array {
  const h = new TextEncoder().encode(header);
  return Uint8Array.from([
    length >>> 24,
    (length >>> 16) & 255,
    (length >>> 8) & 255,
    length & 255,
    ...h,
    ...payload,
  ]);
}

describe('base64', () => {
  it('round-trips every byte value and every length 0..300 as Node does', () => {
    for (let n = 0; n <= 300; n++) {
      const bytes = n <= 256 ? ALL_BYTES.subarray(0, n) : new Uint8Array(randomBytes(n));
      const text = encodeBase64(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64'), `length ${n}`);
      assert.deepEqual(decodeBase64(text), bytes, `length ${n}`);
      assert.equal(base64ByteLength(text), n);
    }
  });

  it('refuses what is not standard padded base64', () => {
    for (const bad of ['A', 'AB', 'ABC', 'AB=C', 'A===', '====', 'AB-_', 'AB C', 'AB\nC', 'ÀBCD', 'AAAA=AAA'])
      assert.equal(decodeBase64(bad), null, JSON.stringify(bad));
    assert.deepEqual(decodeBase64(''), new Uint8Array(0));
  });
});

describe('binary envelope', () => {
  it('is the header length (u32 big-endian), the header JSON, then the payload', () => {
    const frame = encodeEnvelope('{"type":"message"}', Uint8Array.from([0, 255]));
    assert.deepEqual([...frame], [0, 0, 0, 18, ...new TextEncoder().encode('{"type":"message"}'), 0, 255]);
    const read = decodeEnvelope(frame);
    assert.ok(read.ok);
    assert.deepEqual(read.header, { type: 'message' });
    assert.deepEqual(read.payload, Uint8Array.from([0, 255]));
  });

  it('reads a payload of every byte value, and an empty one', () => {
    for (const payload of [ALL_BYTES, new Uint8Array(0)]) {
      const read = decodeEnvelope(encodeEnvelope('{"type":"publish","channel":"a"}', payload));
      assert.ok(read.ok);
      assert.deepEqual(read.payload, payload);
    }
  });

  it('refuses bad envelopes with a code', () => {
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array(0), 'bad_request'],
      [Uint8Array.from([0, 0, 1]), 'bad_request'],
      [literal(50, '{"type":"publish"}'), 'bad_request'],
      [literal(MAX_ENVELOPE_HEADER_BYTES + 1, '{}'), 'bad_request'],
      [literal(3, 'abc'), 'invalid_json'],
      [Uint8Array.from([0, 0, 0, 2, 0xff, 0xfe]), 'invalid_json'],
      [literal(2, '[]'), 'bad_request'],
      [literal(4, 'null'), 'bad_request'],
      [literal(11, '{"data":1} '), 'bad_request'],
      [literal(16, '{"data_b64":"A"}'), 'bad_request'],
    ];
    for (const [frame, code] of cases) {
      const read = decodeEnvelope(frame);
      assert.equal(read.ok ? 'ok' : read.error.code, code, JSON.stringify([...frame.subarray(0, 24)]));
    }
  });
});

describe('publish commands with bytes', () => {
  it('a binary frame is a publish whose data is the payload, checked like a text publish', () => {
    const frame = encodeEnvelope('{"type":"publish","id":7,"channel":"a","idempotencyKey":"k"}', ALL_BYTES);
    const parsed = parseBinaryCommand(frame, limits);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.command, {
      type: 'publish',
      id: 7,
      channel: 'a',
      idempotencyKey: 'k',
      data: ALL_BYTES,
    });
  });

  it('refuses a binary frame that is not a good publish, with the id when it could be read', () => {
    const code = (header: string) => {
      const r = parseBinaryCommand(encodeEnvelope(header, ALL_BYTES), limits);
      return r.ok ? 'ok' : [r.error.code, r.error.id];
    };
    assert.deepEqual(code('{"type":"subscribe","id":1,"channel":"a"}'), ['bad_request', 1]);
    assert.deepEqual(code('{"type":"publish","id":2,"channel":"bad name"}'), ['invalid_channel', 2]);
    assert.deepEqual(code('{"type":"publish","id":3}'), ['invalid_channel', 3]);
    assert.deepEqual(code('{"type":"nope","id":4}'), ['unknown_command', 4]);
    assert.deepEqual(code('{"type":"publish","id":5,"channel":"a","idempotencyKey":""}'), ['bad_request', 5]);
    assert.deepEqual(code('{"type":"publish","channel":"a","data":1}'), ['bad_request', undefined]);
    const broken = parseBinaryCommand(Uint8Array.from([0, 0, 0, 9, 1]), limits);
    assert.equal(broken.ok ? 'ok' : broken.error.code, 'bad_request');
  });

  it('data_b64 in JSON is decoded to bytes; exactly one of data and data_b64', () => {
    const b64 = Buffer.from(ALL_BYTES).toString('base64');
    const parsed = parseCommand(JSON.stringify({ type: 'publish', channel: 'a', data_b64: b64 }), limits);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.command, { type: 'publish', channel: 'a', data: ALL_BYTES });
    for (const body of [
      { type: 'publish', channel: 'a' },
      { type: 'publish', channel: 'a', data: 1, data_b64: 'AA==' },
      { type: 'publish', channel: 'a', data_b64: 'AA=' },
      { type: 'publish', channel: 'a', data_b64: 5 },
    ]) {
      const r = validateCommand(body, limits);
      assert.equal(r.ok ? 'ok' : r.error.code, 'bad_request', JSON.stringify(body));
    }
  });
});
