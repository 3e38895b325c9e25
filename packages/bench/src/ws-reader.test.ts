import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientFrame, upgradeRequest } from './ws-client.ts';
import { WsReader, type WsSink } from './ws-reader.ts';

interface Seen {
  messages: string[];
  pings: string[];
  closes: number[];
  errors: string[];
}

function reader(max?: number): { r: WsReader; seen: Seen } {
  const seen: Seen = { messages: [], pings: [], closes: [], errors: [] };
  const sink: WsSink = {
    onMessage: (buf, s, e) => seen.messages.push(buf.toString('utf8', s, e)),
    onPing: (p) => seen.pings.push(p.toString()),
    onClose: (code) => seen.closes.push(code),
    onError: (reason) => seen.errors.push(reason),
  };
  return { r: new WsReader(sink, max), seen };
}

// Unmasked server text frame "hello": FIN + opcode 1, length 5.
const HELLO = Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]);

test('two frames in one chunk', () => {
  const { r, seen } = reader();
  r.push(Buffer.concat([HELLO, HELLO]));
  assert.deepEqual(seen.messages, ['hello', 'hello']);
});

test('a frame split across chunks at every byte', () => {
  for (let cut = 1; cut < HELLO.length; cut++) {
    const { r, seen } = reader();
    r.push(HELLO.subarray(0, cut));
    assert.deepEqual(seen.messages, []);
    r.push(HELLO.subarray(cut));
    assert.deepEqual(seen.messages, ['hello'], `cut at ${cut}`);
  }
});

test('16-bit length, with its length bytes split', () => {
  const payload = 'x'.repeat(300);
  const head = Buffer.from([0x81, 0x7e, 0x01, 0x2c]); // 126 → 0x012c = 300
  const frame = Buffer.concat([head, Buffer.from(payload)]);
  const { r, seen } = reader();
  r.push(frame.subarray(0, 3));
  r.push(frame.subarray(3, 100));
  r.push(frame.subarray(100));
  assert.deepEqual(seen.messages, [payload]);
});

test('64-bit length', () => {
  const head = Buffer.from([0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0x00, 0x03]);
  const { r, seen } = reader();
  r.push(Buffer.concat([head, Buffer.from('abc')]));
  assert.deepEqual(seen.messages, ['abc']);
});

test('ping and close control frames, between data frames', () => {
  const ping = Buffer.from([0x89, 0x02, 0x68, 0x69]); // ping "hi"
  const close = Buffer.from([0x88, 0x02, 0x0f, 0xa0]); // close 4000
  const { r, seen } = reader();
  r.push(Buffer.concat([HELLO, ping, HELLO, close]));
  assert.deepEqual(seen.messages, ['hello', 'hello']);
  assert.deepEqual(seen.pings, ['hi']);
  assert.deepEqual(seen.closes, [4000]);
});

test('a fragmented message with a ping in the middle', () => {
  const first = Buffer.from([0x01, 0x03, 0x68, 0x65, 0x6c]); // text, not FIN: "hel"
  const ping = Buffer.from([0x89, 0x00]);
  const last = Buffer.from([0x80, 0x02, 0x6c, 0x6f]); // continuation, FIN: "lo"
  const { r, seen } = reader();
  r.push(Buffer.concat([first, ping]));
  r.push(last);
  assert.deepEqual(seen.messages, ['hello']);
  assert.deepEqual(seen.pings, ['']);
});

test('a masked frame is unmasked (the client frame builder round-trips)', () => {
  const frame = clientFrame(0x1, Buffer.from('{"type":"subscribe"}'), Buffer.from([1, 2, 3, 4]));
  assert.deepEqual([...frame.subarray(0, 6)], [0x81, 0x80 | 20, 1, 2, 3, 4]);
  const { r, seen } = reader();
  r.push(frame);
  assert.deepEqual(seen.messages, ['{"type":"subscribe"}']);
});

test('a frame over the bound is an error, and the reader stops', () => {
  const { r, seen } = reader(4);
  r.push(Buffer.concat([HELLO, HELLO]));
  assert.deepEqual(seen.errors, ['frame of 5 bytes']);
  assert.deepEqual(seen.messages, []);
});

test('the upgrade request names the path and the host', () => {
  const req = upgradeRequest('127.0.0.1:8080', '/ws');
  assert.ok(req.startsWith('GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n'));
  assert.ok(req.endsWith('\r\n\r\n'));
});
