import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeSseComment,
  encodeSseData,
  encodeSseEvent,
  encodeSseId,
  encodeSseRetry,
  SseFieldError,
} from './sse.ts';

describe('SSE encoder', () => {
  it('encodes a default-type event with only data', () => {
    assert.equal(encodeSseEvent({ data: '{"a":1}' }), 'data: {"a":1}\n\n');
  });

  it('encodes every field in a fixed order', () => {
    assert.equal(
      encodeSseEvent({ retry: 1500, event: 'subscribed', id: '1.abc.e-1', data: 'x' }),
      'retry: 1500\nevent: subscribed\nid: 1.abc.e-1\ndata: x\n\n',
    );
  });

  it('splits data on LF, CR LF and CR into one data line each', () => {
    assert.equal(encodeSseData('a\nb\r\nc\rd'), 'data: a\ndata: b\ndata: c\ndata: d\n\n');
    assert.equal(encodeSseData(''), 'data: \n\n');
    assert.equal(encodeSseData('\n'), 'data: \ndata: \n\n');
  });

  it('refuses CR, LF and NUL in event and id instead of letting them forge another event', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\r\nb', 'a\0b']) {
      assert.throws(() => encodeSseEvent({ event: bad, data: 'x' }), SseFieldError);
      assert.throws(() => encodeSseEvent({ id: bad, data: 'x' }), SseFieldError);
      assert.throws(
        () => encodeSseId(bad),
        (e: unknown) => e instanceof SseFieldError && e.field === 'id',
      );
    }
    // An injected "data:" inside data stays data: it cannot start a new field.
    assert.equal(encodeSseData('x\nevent: evil'), 'data: x\ndata: event: evil\n\n');
  });

  it('encodes comments and retry hints', () => {
    assert.equal(encodeSseComment('ping'), ': ping\n\n');
    assert.equal(encodeSseComment('a\nb\0'), ': a\n: b\n\n');
    assert.equal(encodeSseRetry(2000), 'retry: 2000\n');
    assert.throws(() => encodeSseRetry(-1), RangeError);
    assert.throws(() => encodeSseRetry(1.5), RangeError);
  });
});
