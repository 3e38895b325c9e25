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
      'formatDuration',
      'formatSize',
      'parseDuration',
      'parseSize',
    ]);
    const e = new kit.EngineError('down');
    assert.ok(e instanceof kit.SwitchboardError);
    assert.equal(e.code, 'unavailable');
    assert.equal(e.status, 503);
  });
});
