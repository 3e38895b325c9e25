import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InboundMeter } from './inbound.ts';

describe('InboundMeter', () => {
  it('reads frames within the command budget, refuses the rest while the error budget lasts, then closes', () => {
    const meter = new InboundMeter(2, 1, 0);
    // Bursts of twice each rate: 4 frames read, 2 refusals answered, then close.
    const seen = Array.from({ length: 8 }, () => meter.admit(0));
    assert.deepEqual(seen, ['read', 'read', 'read', 'read', 'refuse', 'refuse', 'close', 'close']);
    // A second later: 2 more commands, 1 more fault.
    assert.deepEqual(
      [meter.admit(1000), meter.admit(1000), meter.admit(1000), meter.admit(1000)],
      ['read', 'read', 'refuse', 'close'],
    );
  });

  it('counts unreadable frames against the error budget even within the command budget', () => {
    const meter = new InboundMeter(1000, 2, 0);
    const faults = Array.from({ length: 6 }, () => meter.admit(0) === 'read' && meter.fault(0));
    assert.deepEqual(faults, [true, true, true, true, false, false]);
  });

  it('has no budget at rate 0', () => {
    const meter = new InboundMeter(0, 0, 0);
    for (let i = 0; i < 10_000; i++) {
      assert.equal(meter.admit(0), 'read');
      assert.equal(meter.fault(0), true);
    }
  });
});
