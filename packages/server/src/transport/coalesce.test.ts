import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { ByteTally } from './bytes-written.ts';
import { CoalescedWriter, WRITES_PER_CLOCK_READ } from './coalesce.ts';

/** A Writable that records each write it is given, as text. */
function recorder(): { out: Writable; writes: string[] } {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { out, writes };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('CoalescedWriter', () => {
  it('writes what one turn queued as one write, in order, at the end of the turn', async () => {
    const { out, writes } = recorder();
    let after = 0;
    const w = new CoalescedWriter(out, 1024, () => after++);
    w.write(Buffer.from('a'));
    w.write(Buffer.from('bc'));
    w.write(Buffer.from('d'));
    assert.deepEqual(writes, [], 'nothing is written before the turn ends');
    await turn();
    assert.deepEqual(writes, ['abcd']);
    assert.equal(after, 1);
    w.write(Buffer.from('e'));
    await turn();
    assert.deepEqual(writes, ['abcd', 'e'], 'a turn with one chunk writes it as it is');
  });

  it('adds the bytes of every write to its tally', async () => {
    const { out, writes } = recorder();
    const tally = new ByteTally();
    const w = new CoalescedWriter(out, 4, () => {}, tally);
    w.write(Buffer.from('ab'));
    w.write(Buffer.from('cde'));
    assert.equal(tally.bytes, 5, 'a queue past its bound is written at once, and counted');
    w.write(Buffer.from('f'));
    w.discard();
    await turn();
    assert.equal(tally.bytes, 5, 'discarded bytes are not counted');
    w.write(Buffer.from('gh'));
    await turn();
    assert.deepEqual(writes, ['abcde', 'gh']);
    assert.equal(tally.bytes, 7);
    assert.equal(tally.frames, 3, 'the frames of every write, not of discarded ones');
  });

  it('counts whole frames only, and times each publication to its write', async () => {
    const { out } = recorder();
    const tally = new ByteTally();
    const waits: number[] = [];
    tally.latency = { observe: (s) => waits.push(s) };
    const w = new CoalescedWriter(out, 1024, () => {}, tally);
    const born = performance.now();
    w.write(Buffer.from('id: 1\n'), -1, 0);
    w.write(Buffer.from('data: x\n\n'), born);
    w.write(Buffer.from(': heartbeat\n\n'));
    await turn();
    assert.equal(tally.frames, 2, 'part of a frame is not one');
    assert.equal(waits.length, 1, 'only the publication is timed');
    assert.ok(waits[0]! >= 0 && waits[0]! < 5, `a wait in seconds, got ${waits[0]}`);
  });

  it('keeps each writer separate when many have something queued in the same turn', async () => {
    const a = recorder();
    const b = recorder();
    const wa = new CoalescedWriter(a.out, 1024, () => {});
    const wb = new CoalescedWriter(b.out, 1024, () => {});
    wa.write(Buffer.from('1'));
    wb.write(Buffer.from('x'));
    wa.write(Buffer.from('2'));
    await turn();
    assert.deepEqual(a.writes, ['12']);
    assert.deepEqual(b.writes, ['x']);
  });

  it('writes at once when the queue passes its bound', () => {
    const { out, writes } = recorder();
    const w = new CoalescedWriter(out, 4, () => {});
    w.write(Buffer.from('abc'));
    assert.deepEqual(writes, []);
    w.write(Buffer.from('de'));
    assert.deepEqual(writes, ['abcde'], 'over 4 bytes queued: written without waiting for the turn');
  });

  it('flushes on demand, discards on demand, and never writes to a destroyed stream', async () => {
    const { out, writes } = recorder();
    const w = new CoalescedWriter(out, 1024, () => {});
    w.write(Buffer.from('kept'));
    w.flush();
    assert.deepEqual(writes, ['kept']);
    w.write(Buffer.from('dropped'));
    w.discard();
    await turn();
    assert.deepEqual(writes, ['kept']);
    w.write(Buffer.from('late'));
    out.destroy();
    await turn();
    assert.deepEqual(writes, ['kept']);
  });

  it('tells a drain listener once everything before it was written, even below the high-water mark', async () => {
    // A stream that completes each write only when told to, as a socket whose peer reads slowly.
    const pending: (() => void)[] = [];
    const writes: string[] = [];
    const out = new Writable({
      highWaterMark: 1024 * 1024,
      write(chunk: Buffer, _enc, done) {
        writes.push(chunk.toString());
        pending.push(done);
      },
    });
    const w = new CoalescedWriter(out, 1024, () => {});
    w.write(Buffer.from('queued'));
    let drained = 0;
    w.onDrain(() => drained++);
    assert.deepEqual(writes, ['queued'], 'asking for drain writes what was queued');
    await turn();
    assert.equal(drained, 0, 'not before the write completed');
    for (let i = 0; i < 10 && drained === 0; i++) {
      pending.shift()?.();
      await turn();
    }
    assert.equal(drained, 1, 'called once the write (and the probe after it) completed');
    w.onDrain(() => drained++);
    for (let i = 0; i < 10 && drained === 1; i++) {
      pending.shift()?.();
      await turn();
    }
    assert.equal(drained, 2, 'an empty queue drains at once (after its probe)');
    w.onDrain(() => drained++);
    w.onDrain(null);
    for (let i = 0; i < 10; i++) {
      pending.shift()?.();
      await turn();
    }
    assert.equal(drained, 2, 'a removed listener is not called');
  });

  it('observes the equal waits of one publication written to many sockets in one turn as runs, counting each', async () => {
    const tally = new ByteTally();
    const observed: { seconds: number; count: number }[] = [];
    tally.latency = { observe: (seconds, count = 1) => observed.push({ seconds, count }) };
    const n = 3 * WRITES_PER_CLOCK_READ + 5;
    const recorders = Array.from({ length: n }, () => recorder());
    const writers = recorders.map((r) => new CoalescedWriter(r.out, 1024, () => {}, tally));
    const born = performance.now();
    for (const w of writers) w.write(Buffer.from('p'), born);
    await turn();
    for (const r of recorders) assert.deepEqual(r.writes, ['p']);
    assert.equal(
      observed.reduce((sum, o) => sum + o.count, 0),
      n,
      'every publication write is observed once',
    );
    assert.ok(
      observed.length <= Math.ceil(n / WRITES_PER_CLOCK_READ),
      `one observation per clock read: ${observed.length}`,
    );
    for (const o of observed)
      assert.ok(o.seconds >= 0 && o.seconds < 5, `a wait in seconds, got ${o.seconds}`);
    assert.equal(tally.frames, n);

    // The next turns reuse the flush lists: every writer is written again, once, and a flush on demand is
    // observed at once.
    observed.length = 0;
    for (const w of writers) w.write(Buffer.from('q'), born);
    await turn();
    for (const w of writers) w.write(Buffer.from('r'), born);
    writers[0]!.flush();
    assert.deepEqual(
      observed.map((o) => o.count),
      [...observed.slice(0, -1).map((o) => o.count), 1],
      'the flush on demand is its own observation',
    );
    await turn();
    assert.equal(
      observed.reduce((sum, o) => sum + o.count, 0),
      2 * n,
    );
    for (const r of recorders) assert.deepEqual(r.writes, ['p', 'q', 'r']);
  });
});
