import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SseEvent, SseParser } from './sse-parser.ts';

function parse(chunks: readonly string[], max = 1_000) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const p = new SseParser({ event: (e) => events.push(e), comment: (c) => comments.push(c) }, max);
  for (const c of chunks) p.feed(c);
  return { events, comments };
}

describe('SseParser', () => {
  it('reads events, named events, ids and comments; retry is ignored', () => {
    const { events, comments } = parse([
      'retry: 2000\n\nevent: connected\ndata: {"type":"connected"}\n\n: ping\n\nid: 1.x.e-1\ndata: {"a":1}\n\n',
    ]);
    assert.deepEqual(events, [
      { event: 'connected', data: '{"type":"connected"}', id: undefined },
      { event: 'message', data: '{"a":1}', id: '1.x.e-1' },
    ]);
    assert.deepEqual(comments, ['ping']);
  });

  it('joins multi-line data with LF and accepts LF, CRLF and CR line ends, split anywhere', () => {
    const text = 'data: one\r\ndata: two\rdata:three\n\r\n';
    const whole = parse([text]).events;
    assert.deepEqual(whole, [{ event: 'message', data: 'one\ntwo\nthree', id: undefined }]);
    for (let i = 1; i < text.length; i++) {
      assert.deepEqual(parse([text.slice(0, i), text.slice(i)]).events, whole, `split at ${i}`);
    }
    assert.deepEqual(parse([...text]).events, whole, 'one character at a time');
  });

  it('an event with no data is not dispatched, and its event name does not leak into the next', () => {
    const { events } = parse(['event: subscribed\n\ndata: x\n\n']);
    assert.deepEqual(events, [{ event: 'message', data: 'x', id: undefined }]);
  });

  it('keeps its buffer bounded: a line longer than the limit throws', () => {
    assert.throws(() => parse(['data: ', 'x'.repeat(2_000)]), RangeError);
  });
});
