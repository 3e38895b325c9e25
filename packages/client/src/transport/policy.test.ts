import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransportPolicy } from './policy.ts';

describe('TransportPolicy', () => {
  it('keeps a fixed choice whatever happens', () => {
    const sse = new TransportPolicy('sse', 1);
    assert.equal(sse.ended('sse', true), false);
    assert.equal(sse.next(), 'sse');
    const ws = new TransportPolicy('websocket', 1);
    assert.equal(ws.ended('websocket', true), false);
    assert.equal(ws.next(), 'websocket');
  });

  it('auto: falls back to SSE for good after `fallbackAfter` WebSocket attempts fail before connecting', () => {
    const p = new TransportPolicy('auto', 2);
    assert.equal(p.next(), 'websocket');
    assert.equal(p.ended('websocket', true), false);
    assert.equal(p.next(), 'websocket');
    assert.equal(p.ended('websocket', true), true, 'the second failure moves to SSE, at once');
    assert.equal(p.next(), 'sse');
    assert.equal(p.ended('sse', true), false);
    assert.equal(p.next(), 'sse');
  });

  it('auto: a WebSocket that connected once is never given up for SSE', () => {
    const p = new TransportPolicy('auto', 1);
    p.connected('websocket');
    assert.equal(p.ended('websocket', false), false);
    assert.equal(p.ended('websocket', true), false);
    assert.equal(p.next(), 'websocket');
  });
});
