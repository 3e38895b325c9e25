import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyPreface, HTTP2_PREFACE } from './http2.ts';

describe('classifyPreface', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');

  it('knows the HTTP/2 preface only once all 24 bytes are in', () => {
    assert.equal(HTTP2_PREFACE.length, 24);
    assert.equal(classifyPreface(b('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), 'http2');
    // A preface followed by the client's SETTINGS in the same read.
    assert.equal(
      classifyPreface(Buffer.concat([HTTP2_PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])])),
      'http2',
    );
    for (let n = 1; n < 24; n++)
      assert.equal(classifyPreface(HTTP2_PREFACE.subarray(0, n)), 'undecided', `${n}`);
  });

  it('tells HTTP/1.1 at the first byte that differs', () => {
    assert.equal(classifyPreface(b('G')), 'http1');
    assert.equal(classifyPreface(b('GET / HTTP/1.1\r\n')), 'http1');
    assert.equal(classifyPreface(b('PO')), 'http1');
    assert.equal(classifyPreface(b('PUT')), 'http1');
    assert.equal(classifyPreface(b('PATCH')), 'http1');
    assert.equal(classifyPreface(b('PRI / HTTP/1.1')), 'http1');
    assert.equal(classifyPreface(b('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n')), 'http1');
    assert.equal(classifyPreface(Buffer.from([0x16, 0x03, 0x01])), 'http1'); // a TLS ClientHello on the plain port
  });
});
