import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as kit from './index.ts';

describe('@switchboard/engine-kit entry', () => {
  it('exports what engines build on; the conformance suite (node:test) is an entry of its own', () => {
    assert.deepEqual(Object.keys(kit).sort(), [
      'DURATION_UNITS',
      'EngineError',
      'MemoryOccupancy',
      'SEQUENCER_DEFAULTS',
      'SIZE_UNITS',
      'Sequencer',
      'SwitchboardError',
      'base64Of',
      'binaryData',
      'formatDuration',
      'formatSize',
      'isBinaryData',
      'parseDuration',
      'parseSize',
    ]);
    const e = new kit.EngineError('down');
    assert.ok(e instanceof kit.SwitchboardError);
    assert.equal(e.code, 'unavailable');
    assert.equal(e.status, 503);
  });

  it('marks a payload of bytes with a b before its base64, which no JSON text starts with', () => {
    const data = kit.binaryData('AAEC/w==');
    assert.equal(data, 'bAAEC/w==');
    assert.equal(kit.isBinaryData(data), true);
    assert.equal(kit.base64Of(data), 'AAEC/w==');
    for (const json of ['{}', '[]', '"b"', '1', '-1', 'true', 'false', 'null'])
      assert.equal(kit.isBinaryData(json), false, json);
  });
});
