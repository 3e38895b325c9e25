import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headers } from '@nats-io/nats-core';
import {
  decodeClient,
  decodePublication,
  kindOf,
  presenceMessage,
  publicationBody,
  publicationHeaders,
} from './codec.ts';

const policy = { size: 10, ttlMs: 5_000, metaTtlMs: 60_000 };

describe('publication codec', () => {
  it('round-trips a publication with and without client info, the payload text untouched', () => {
    for (const publication of [
      { channel: 'c', epoch: 'e1', offset: 7, data: '{"a":"line\\nbreak"}', time: 1_700_000_000_000 },
      {
        channel: 'c',
        epoch: 'e1',
        offset: 8,
        data: '"x"',
        time: 1,
        info: { client: 'id', user: 'u', info: { name: 'Ünï' } },
      },
    ]) {
      const h = publicationHeaders(publication, policy, 'pub');
      const body = publicationBody(publication);
      assert.equal(kindOf(h), 'pub');
      assert.deepEqual(decodePublication('c', h, body), { publication, policy });
    }
  });

  it('writes the info line and the payload as documented', () => {
    const body = publicationBody({ channel: 'c', epoch: 'e', offset: 1, data: '[1]', time: 2 });
    assert.equal(new TextDecoder().decode(body), '\n[1]');
  });

  it('ignores messages it did not write', () => {
    const body = new TextEncoder().encode('\n1');
    assert.equal(decodePublication('c', undefined, body), undefined);
    assert.equal(decodePublication('c', headers(), body), undefined);
    const h = publicationHeaders({ channel: 'c', epoch: 'e', offset: 1, data: '1', time: 2 }, policy);
    assert.equal(decodePublication('c', h, new TextEncoder().encode('no newline')), undefined);
    assert.equal(decodePublication('c', h, new TextEncoder().encode('{bad\n1')), undefined);
    h.set('Sb-Offset', '-1');
    assert.equal(decodePublication('c', h, body), undefined);
    assert.equal(kindOf(headers()), undefined);
  });

  it('carries joins and leaves as the client JSON', () => {
    const m = presenceMessage('leave', { client: 'x', user: null });
    assert.equal(kindOf(m.headers), 'leave');
    assert.deepEqual(decodeClient(m.body), { client: 'x', user: null });
    assert.equal(decodeClient(new TextEncoder().encode('[]')), undefined);
    assert.equal(decodeClient(new TextEncoder().encode('nope')), undefined);
  });
});
