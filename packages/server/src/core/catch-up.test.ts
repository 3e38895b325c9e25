import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryQuery, HistoryResult, HistoryStore, Publication } from '@switchboard/engine-kit';
import type { Position } from '@switchboard/protocol';
import { startingPoint } from './catch-up.ts';

const pub = (offset: number): Publication => ({
  channel: 'c',
  epoch: 'e1',
  offset,
  data: `${offset}`,
  time: 0,
});

/** Publications `first..last` of epoch e1 (history trimmed below `first`); an empty stream when last is 0. */
class Stream implements HistoryStore {
  readonly first: number;
  readonly last: number;
  constructor(first: number, last: number) {
    this.first = first;
    this.last = last;
  }
  async top(): Promise<Position> {
    return { epoch: 'e1', offset: this.last };
  }
  async read(_c: string, q: HistoryQuery): Promise<HistoryResult> {
    const all: Publication[] = [];
    for (let o = this.first; o <= this.last && this.last > 0; o++) all.push(pub(o));
    if (q.since === undefined)
      return { top: await this.top(), publications: all.slice(-(q.limit ?? all.length)), recovered: true };
    const ok = q.since.epoch === 'e1' && q.since.offset <= this.last && q.since.offset + 1 >= this.first;
    return {
      top: await this.top(),
      publications: all.filter((p) => p.offset > q.since!.offset),
      recovered: ok,
    };
  }
  async remove(): Promise<void> {}
}

const offsets = (ps: readonly Publication[]) => ps.map((p) => p.offset);

describe('startingPoint', () => {
  it('fresh, without lastValue: starts at the top with nothing first', async () => {
    const s = await startingPoint(new Stream(1, 7), 'c', undefined, false);
    assert.deepEqual(s, {
      top: { epoch: 'e1', offset: 7 },
      recovered: false,
      start: { epoch: 'e1', offset: 7 },
      missed: [],
    });
  });

  it('fresh, with lastValue: the newest publication first, starting just before it', async () => {
    const s = await startingPoint(new Stream(1, 7), 'c', undefined, true);
    assert.deepEqual(s.start, { epoch: 'e1', offset: 6 });
    assert.deepEqual(offsets(s.missed), [7]);
    assert.equal(s.recovered, false);
  });

  it('with lastValue on an empty channel: nothing first', async () => {
    const s = await startingPoint(new Stream(1, 0), 'c', undefined, true);
    assert.deepEqual(s.missed, []);
    assert.deepEqual(s.start, { epoch: 'e1', offset: 0 });
  });

  it('a recovered resume gets exactly what it missed, lastValue or not', async () => {
    for (const lastValue of [false, true]) {
      const s = await startingPoint(new Stream(1, 7), 'c', { epoch: 'e1', offset: 4 }, lastValue);
      assert.equal(s.recovered, true);
      assert.deepEqual(s.start, { epoch: 'e1', offset: 4 });
      assert.deepEqual(offsets(s.missed), [5, 6, 7]);
    }
    const upToDate = await startingPoint(new Stream(1, 7), 'c', { epoch: 'e1', offset: 7 }, true);
    assert.deepEqual(
      [upToDate.recovered, upToDate.missed.length],
      [true, 0],
      'nothing missed: no last value again',
    );
  });

  it('an unrecoverable resume (trimmed, other epoch, unreadable) gets the last value only with lastValue', async () => {
    for (const since of [{ epoch: 'e1', offset: 2 }, { epoch: 'e0', offset: 9 }, null]) {
      const without = await startingPoint(new Stream(5, 7), 'c', since, false);
      assert.deepEqual([without.recovered, without.missed.length, without.start.offset], [false, 0, 7]);
      const withLast = await startingPoint(new Stream(5, 7), 'c', since, true);
      assert.deepEqual(
        [withLast.recovered, offsets(withLast.missed), withLast.start.offset],
        [false, [7], 6],
      );
    }
  });
});
