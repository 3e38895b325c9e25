import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headEnd, parseHead } from './http-head.ts';
import { Dechunker, SseReader, type SseSink } from './sse-reader.ts';

interface Seen {
  messages: string[];
  events: string[];
  errors: string[];
}

function reader(max?: number): { r: SseReader; seen: Seen } {
  const seen: Seen = { messages: [], events: [], errors: [] };
  const sink: SseSink = {
    onMessage: (buf, s, e) => seen.messages.push(buf.toString('utf8', s, e)),
    onEvent: (type, buf, s, e) => seen.events.push(`${type}|${buf.toString('utf8', s, e)}`),
    onError: (reason) => seen.errors.push(reason),
  };
  return { r: new SseReader(sink, max), seen };
}

const STREAM =
  'retry: 2000\n\n' +
  'event: connected\ndata: {"type":"connected"}\n\n' +
  'event: subscribed\nid: 1.x.e-0\ndata: {"type":"subscribed","offset":0}\n\n' +
  'id: 1.x.e-1\ndata: {"type":"message","offset":1,"data":{"t":5}}\n\n' +
  ': ping\n\n' +
  'id: 1.x.e-2\ndata: {"type":"message","offset":2,"data":{"t":6}}\n\n';

const MESSAGES = [
  '{"type":"message","offset":1,"data":{"t":5}}',
  '{"type":"message","offset":2,"data":{"t":6}}',
];
const EVENTS = ['connected|{"type":"connected"}', 'subscribed|{"type":"subscribed","offset":0}'];

test('a whole stream in one chunk', () => {
  const { r, seen } = reader();
  r.push(Buffer.from(STREAM));
  assert.deepEqual(seen.messages, MESSAGES);
  assert.deepEqual(seen.events, EVENTS);
});

test('an event split across chunks at every byte', () => {
  const bytes = Buffer.from(STREAM);
  for (let cut = 1; cut < bytes.length; cut++) {
    const { r, seen } = reader();
    r.push(bytes.subarray(0, cut));
    r.push(bytes.subarray(cut));
    assert.deepEqual(seen.messages, MESSAGES, `cut at ${cut}`);
    assert.deepEqual(seen.events, EVENTS, `cut at ${cut}`);
  }
});

test('CRLF line endings', () => {
  const { r, seen } = reader();
  r.push(Buffer.from(': hi\r\n\r\nid: 7\r\ndata: {"s":7}\r\n\r\nevent: x\r\ndata: y\r\n\r\n'));
  assert.deepEqual(seen.messages, ['{"s":7}']);
  assert.deepEqual(seen.events, ['x|y']);
});

test('data: is only a field at the start of a line', () => {
  const { r, seen } = reader();
  r.push(Buffer.from(': no data: here\n\ndata:{"p":"data: x"}\n\n'));
  assert.deepEqual(seen.messages, ['{"p":"data: x"}']);
});

test('an event over the bound is an error', () => {
  const { r, seen } = reader(8);
  r.push(Buffer.from('data: 0123456789'));
  assert.deepEqual(seen.errors, ['event over 8 bytes']);
});

test('chunked framing is removed, with chunk boundaries inside events and size lines split', () => {
  // Two chunks: "data: ab\n" (9 bytes) and "\n" (1 byte), then the terminating zero chunk.
  const wire = Buffer.from('9\r\ndata: ab\n\r\n1;ext=1\r\n\n\r\n0\r\n\r\n');
  for (let cut = 1; cut < wire.length; cut++) {
    const { r, seen } = reader();
    const d = new Dechunker((part) => r.push(part));
    d.push(wire.subarray(0, cut));
    d.push(wire.subarray(cut));
    assert.deepEqual(seen.messages, ['ab'], `cut at ${cut}`);
    assert.equal(d.done, true);
  }
});

test('response head: status and chunked framing', () => {
  const raw = Buffer.from(
    'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\nretry: 1\n\n',
  );
  const end = headEnd(raw);
  assert.equal(raw.toString('latin1', end), 'retry: 1\n\n');
  assert.deepEqual(parseHead(raw, end), { status: 200, chunked: true });
  assert.equal(headEnd(Buffer.from('HTTP/1.1 101 Switching\r\n')), -1);
  const up = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
  assert.deepEqual(parseHead(up, headEnd(up)), { status: 101, chunked: false });
});
