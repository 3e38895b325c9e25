import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiateWire, readCompact, WIRE_VERSION } from './wire.ts';

describe('wire versions', () => {
  it('serves the highest version known, not above the one asked; 1 for anything unreadable', () => {
    assert.equal(WIRE_VERSION, 2);
    assert.equal(negotiateWire(null), 1);
    assert.equal(negotiateWire('2'), 2);
    assert.equal(negotiateWire('3'), 2);
    assert.equal(negotiateWire('007'), 2);
    assert.equal(negotiateWire('1'), 1);
    assert.equal(negotiateWire('0'), 1);
    for (const bad of ['', 'two', '-2', '2.0', ' 2', '1e3', '9999999'])
      assert.equal(negotiateWire(bad), 1, bad);
    // A hub that knows only version 1 serves it whatever is asked.
    assert.equal(negotiateWire('2', 1), 1);
  });

  it('reads [sid,data] and [sid,offset,data]; anything else is not a compact frame', () => {
    assert.deepEqual(readCompact([3, { a: 1 }]), { sid: 3, offset: undefined, data: { a: 1 } });
    assert.deepEqual(readCompact([3, 9, null]), { sid: 3, offset: 9, data: null });
    assert.deepEqual(readCompact([3, [1, 2]]), { sid: 3, offset: undefined, data: [1, 2] });
    for (const bad of [
      { type: 'message' },
      [],
      [3],
      ['3', 1],
      [3, -1, 1],
      [3, 1.5, 1],
      [3, '1', 1],
      [1, 2, 3, 4],
    ])
      assert.equal(readCompact(bad), null, JSON.stringify(bad));
  });
});
