import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { HEARTBEAT_SLICES, HeartbeatWheel } from './heartbeat.ts';

describe('HeartbeatWheel', () => {
  it('beats every member once per interval, a slice of them per tick, never all at once', async () => {
    const beats = new Map<number, number>();
    const perTick: number[] = [];
    let thisTick = 0;
    const wheel = new HeartbeatWheel<number>(
      50,
      (m) => {
        beats.set(m, (beats.get(m) ?? 0) + 1);
        thisTick++;
      },
      () => {
        perTick.push(thisTick);
        thisTick = 0;
      },
    );
    const members = Array.from({ length: 100 }, (_, i) => i);
    for (const m of members) wheel.add(m);
    wheel.delete(99);
    wheel.start();
    try {
      // One whole turn of the wheel: every slice once.
      await until(
        () => perTick.length >= HEARTBEAT_SLICES,
        () => `${perTick.length} ticks`,
      );
    } finally {
      wheel.stop();
    }
    const first = perTick.slice(0, HEARTBEAT_SLICES);
    assert.equal(
      first.reduce((a, b) => a + b, 0),
      99,
      'one turn beats each member once',
    );
    assert.ok(Math.max(...first) <= Math.ceil(100 / HEARTBEAT_SLICES), `at most a slice per tick: ${first}`);
    assert.equal(beats.get(99), undefined, 'a deleted member is not beaten');
    for (const m of members.slice(0, 99)) assert.ok((beats.get(m) ?? 0) >= 1, `member ${m} was beaten`);
  });
});
