import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Position } from '@switchboard/protocol';
import { SEQUENCER_DEFAULTS, Sequencer, type SequencerLimits } from './sequencer.ts';
import type { HistoryQuery, HistoryResult, HistoryStore, Publication, Resync } from './types.ts';

/**
 * Channel streams in the test's hands: append publications (that the test then offers to the sequencer, or not,
 * as a lossy transport would), trim them, lose a stream (a new epoch), make reads fail, or hold reads until the
 * test releases them. Reads follow the `HistoryStore.read` contract.
 */
class TestHistory implements Pick<HistoryStore, 'read'> {
  readonly #streams = new Map<string, { epoch: string; offset: number; pubs: Publication[] }>();
  #epochs = 0;
  /** Publications kept per channel (the newest). */
  size = Number.POSITIVE_INFINITY;
  failing = false;
  reads = 0;
  inFlight = 0;
  maxInFlight = 0;
  #held: { promise: Promise<void>; release: () => void } | undefined;

  #stream(channel: string) {
    let s = this.#streams.get(channel);
    if (s === undefined) {
      s = { epoch: `e${++this.#epochs}`, offset: 0, pubs: [] };
      this.#streams.set(channel, s);
    }
    return s;
  }

  append(n: number, channel = 'c'): Publication[] {
    const s = this.#stream(channel);
    const out: Publication[] = [];
    for (let i = 0; i < n; i++) {
      s.offset += 1;
      const p = { channel, epoch: s.epoch, offset: s.offset, data: String(s.offset), time: 0 };
      s.pubs.push(p);
      out.push(p);
    }
    if (s.pubs.length > this.size) s.pubs.splice(0, s.pubs.length - this.size);
    return out;
  }

  top(channel = 'c'): Position {
    const s = this.#stream(channel);
    return { epoch: s.epoch, offset: s.offset };
  }

  /** The stream is lost: the next publication starts a new epoch at offset 1. */
  lose(channel = 'c'): void {
    this.#streams.delete(channel);
  }

  /** Reads from now on wait until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    const promise = new Promise<void>((r) => {
      release = r;
    });
    this.#held = { promise, release };
    return () => {
      this.#held = undefined;
      release();
    };
  }

  async read(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    this.reads++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.#held?.promise;
      await Promise.resolve();
      if (this.failing) throw new Error('history down');
      const s = this.#stream(channel);
      const top = { epoch: s.epoch, offset: s.offset };
      const { since, limit } = query;
      const newest = limit === undefined ? s.pubs : limit === 0 ? [] : s.pubs.slice(-limit);
      if (since === undefined) return { top, publications: [...newest], recovered: true };
      const first = s.pubs[0]?.offset ?? s.offset + 1;
      const recovered =
        since.epoch === s.epoch &&
        since.offset <= s.offset &&
        (since.offset === s.offset || first <= since.offset + 1);
      if (!recovered) return { top, publications: [...newest], recovered: false };
      const after = s.pubs.filter((p) => p.offset > since.offset);
      return { top, publications: limit === undefined ? after : after.slice(0, limit), recovered: true };
    } finally {
      this.inFlight--;
    }
  }
}

function setup(limits: Partial<SequencerLimits> = {}) {
  const history = new TestHistory();
  const sequencer = new Sequencer(history, { ...SEQUENCER_DEFAULTS, ...limits });
  const handed: Publication[] = [];
  const resyncs: Array<Resync & { channel: string }> = [];
  sequencer.output = {
    onPublication: (p) => handed.push(p),
    onResync: (channel, r) => resyncs.push({ channel, ...r }),
  };
  sequencer.watch('c');
  const offsets = (channel = 'c') => handed.filter((p) => p.channel === channel).map((p) => p.offset);
  return { history, sequencer, handed, resyncs, offsets };
}

/** Waits (bounded) until `check` holds; the catch-ups under test are promise chains and short timers. */
async function until(check: () => boolean, what: () => string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('Sequencer', () => {
  it('hands publications on in order, dropping duplicates, late ones and channels it does not watch', () => {
    const { history, sequencer, handed, offsets, resyncs } = setup();
    const [p1, p2, p3] = history.append(3);
    for (const p of [p1!, p2!, p2!, p3!, p1!]) sequencer.offer(p);
    sequencer.offer(history.append(1, 'other')[0]!);
    assert.deepEqual(offsets(), [1, 2, 3]);
    assert.equal(handed.length, 3);
    sequencer.unwatch('c');
    sequencer.offer(history.append(1)[0]!);
    assert.equal(handed.length, 3);
    assert.deepEqual(resyncs, []);
  });

  it('fills a jump from history before handing on anything later; arrivals meanwhile wait their turn', async () => {
    const { history, sequencer, offsets, resyncs } = setup();
    const [p1, , , , p5] = history.append(5);
    sequencer.offer(p1!);
    sequencer.offer(p5!); // 2..4 were lost on the way
    sequencer.offer(history.append(1)[0]!); // 6 arrives while the gap is read
    assert.deepEqual(offsets(), [1]);
    await until(
      () => offsets().length === 6,
      () => `got ${offsets()}`,
    );
    assert.deepEqual(offsets(), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(resyncs, [
      {
        channel: 'c',
        cause: 'gap',
        from: { epoch: p1!.epoch, offset: 1 },
        recovered: true,
        overflowed: false,
      },
    ]);
  });

  it('hands over what was missed after a reconnection, with no further publication', async () => {
    const { history, sequencer, offsets, resyncs } = setup();
    sequencer.offer(history.append(1)[0]!);
    history.append(3); // lost: the connection was down
    sequencer.resync();
    await until(
      () => offsets().length === 4,
      () => `got ${offsets()}`,
    );
    assert.deepEqual(offsets(), [1, 2, 3, 4]);
    assert.equal(resyncs[0]?.cause, 'reconnect');
    assert.equal(resyncs[0]?.recovered, true);
  });

  it('starts from the position noted at subscribe when nothing arrived before the connection broke', async () => {
    const { history, sequencer, offsets } = setup();
    history.append(2);
    sequencer.notePosition('c', history.top());
    sequencer.notePosition('c', { epoch: 'ignored', offset: 0 }); // only a first position counts
    history.append(2);
    sequencer.resync();
    await until(
      () => offsets().length === 2,
      () => `got ${offsets()}`,
    );
    assert.deepEqual(offsets(), [3, 4]);
  });

  it('reads a new epoch from its start when the first publication seen in it is past offset 1', async () => {
    const { history, sequencer, handed, resyncs } = setup();
    sequencer.offer(history.append(1)[0]!);
    history.lose();
    const fresh = history.append(3);
    sequencer.offer(fresh[2]!);
    await until(
      () => handed.length === 4,
      () => `got ${handed.length}`,
    );
    assert.deepEqual(handed.slice(1), fresh);
    assert.equal(resyncs[0]?.cause, 'epoch');
    assert.equal(resyncs[0]?.recovered, true);
  });

  it('retries a catch-up on a timer while history is unreachable, then hands everything over in order', async () => {
    const { history, sequencer, offsets } = setup({ retryMs: 5 });
    sequencer.offer(history.append(1)[0]!);
    const more = history.append(3);
    history.failing = true; // every read fails at once, as an offline connection does
    sequencer.offer(more[1]!);
    sequencer.offer(more[2]!);
    // The event loop keeps turning meanwhile (timers fire), and nothing is handed on out of order.
    await until(
      () => history.reads >= 3,
      () => `${history.reads} reads`,
    );
    assert.deepEqual(offsets(), [1]);
    history.failing = false;
    await until(
      () => offsets().length === 4,
      () => `got ${offsets()}`,
    );
    assert.deepEqual(offsets(), [1, 2, 3, 4]);
  });

  it('gives up after its attempts, says why, and hands on what it held as it is', async () => {
    const { history, sequencer, offsets, resyncs } = setup({ retryMs: 1, attempts: 3 });
    sequencer.offer(history.append(1)[0]!);
    const more = history.append(4);
    history.failing = true;
    sequencer.offer(more[2]!);
    sequencer.offer(more[3]!);
    await until(
      () => resyncs.length === 1,
      () => `${history.reads} reads, no resync`,
    );
    assert.equal(history.reads, 3);
    assert.deepEqual(offsets(), [1, 4, 5]);
    assert.equal(resyncs[0]?.recovered, false);
    assert.equal(resyncs[0]?.reason, 'history could not be read: history down');
  });

  it('says recovered: false when history no longer holds the gap, and goes on after it', async () => {
    const { history, sequencer, offsets, resyncs } = setup();
    history.size = 2;
    sequencer.offer(history.append(1)[0]!);
    const more = history.append(5); // only 5 and 6 are still held
    sequencer.offer(more[4]!);
    await until(
      () => resyncs.length === 1,
      () => 'no resync',
    );
    assert.deepEqual(offsets(), [1, 5, 6]);
    assert.deepEqual(resyncs[0], {
      channel: 'c',
      cause: 'gap',
      from: { epoch: more[0]!.epoch, offset: 1 },
      recovered: false,
      overflowed: false,
      reason: 'history no longer holds what was missed',
    });
  });

  it('moves on to a new epoch found while catching up, and says the old one was lost', async () => {
    const { history, sequencer, handed, resyncs } = setup();
    sequencer.offer(history.append(1)[0]!);
    history.lose();
    const fresh = history.append(2);
    sequencer.resync();
    await until(
      () => resyncs.length === 1,
      () => 'no resync',
    );
    assert.deepEqual(handed.slice(1), fresh);
    assert.equal(resyncs[0]?.recovered, false);
    assert.equal(resyncs[0]?.reason, 'the stream was lost: a new epoch started');
  });

  it('hands on as it is what history has nothing before, instead of catching up forever', async () => {
    const { history, sequencer, offsets, resyncs } = setup();
    sequencer.offer(history.append(1)[0]!);
    // A publication history does not hold (a lagging replica): the catch-up finds nothing and gives it up.
    const ghost = { channel: 'c', epoch: history.top().epoch, offset: 5, data: '5', time: 0 };
    sequencer.offer(ghost);
    await until(
      () => resyncs.length === 1,
      () => 'no resync',
    );
    assert.deepEqual(offsets(), [1, 5]);
    assert.equal(resyncs[0]?.recovered, false);
    assert.equal(resyncs[0]?.reason, 'history holds nothing after the gap');
    assert.equal(history.reads, 1);
  });

  it('catches up in batches when more was missed than one read returns', async () => {
    // The limits every engine runs with: 500 publications per read.
    const { history, sequencer, offsets } = setup();
    assert.equal(SEQUENCER_DEFAULTS.batch, 500);
    sequencer.offer(history.append(1)[0]!);
    history.append(1_234); // 2..1235, lost while the connection was down
    sequencer.resync();
    await until(
      () => offsets().length === 1_235,
      () => `got ${offsets().length}`,
    );
    assert.deepEqual(offsets(), range(1, 1_235));
    // 500 + 500 + 234: the last short batch says the top is reached.
    assert.equal(history.reads, 3);
  });

  it('holds at most maxQueued live publications; one more drops them and reads them from history again', async () => {
    // The bound every engine runs with (10,000), reached exactly.
    const { history, sequencer, offsets, resyncs } = setup();
    const max = SEQUENCER_DEFAULTS.maxQueued;
    assert.equal(max, 10_000);
    sequencer.offer(history.append(1)[0]!);
    const release = history.hold();
    const live = history.append(max + 2); // 2 is lost; 3.. arrive live while its catch-up waits on history
    for (const p of live.slice(1, max + 1)) sequencer.offer(p);
    assert.equal(sequencer.queued('c'), max, 'the queue holds exactly its maximum');
    assert.deepEqual(resyncs, []);
    sequencer.offer(live[max + 1]!); // one more than it holds
    assert.equal(sequencer.queued('c'), 1, 'everything held before was dropped');
    release();
    await until(
      () => resyncs.length === 1,
      () => `got ${offsets().length}`,
    );
    assert.deepEqual(offsets(), range(1, max + 3));
    assert.deepEqual(resyncs[0], {
      channel: 'c',
      cause: 'gap',
      from: { epoch: live[0]!.epoch, offset: 1 },
      recovered: true,
      overflowed: true,
    });
    assert.equal(sequencer.queued('c'), 0);
  });

  it('reads history once more when the connection comes back during a catch-up', async () => {
    const { history, sequencer, offsets, resyncs } = setup();
    sequencer.offer(history.append(1)[0]!);
    const release = history.hold();
    history.append(2);
    sequencer.resync(); // reads from 1: will see 2, 3
    history.append(2); // 4, 5 published while the connection was down again
    sequencer.resync();
    release();
    await until(
      () => resyncs.length === 1,
      () => `got ${offsets()}`,
    );
    assert.deepEqual(offsets(), [1, 2, 3, 4, 5]);
  });

  it('reads at most `concurrency` channels at once when every channel resyncs', async () => {
    const { history, sequencer, resyncs } = setup({ concurrency: 4 });
    const channels = Array.from({ length: 40 }, (_, i) => `ch${i}`);
    for (const c of channels) {
      sequencer.watch(c);
      sequencer.offer(history.append(1, c)[0]!);
      history.append(3, c);
    }
    sequencer.resync();
    await until(
      () => resyncs.length === 41,
      () => `${resyncs.length} resyncs`,
    );
    assert.equal(history.maxInFlight, 4);
  });

  it('stops a catch-up when the channel is unwatched: nothing more is handed on', async () => {
    const { history, sequencer, offsets, resyncs } = setup();
    sequencer.offer(history.append(1)[0]!);
    const release = history.hold();
    sequencer.offer(history.append(3)[2]!);
    sequencer.unwatch('c');
    release();
    await until(
      () => history.reads === 1 && history.inFlight === 0,
      () => 'read in flight',
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(offsets(), [1]);
    assert.deepEqual(resyncs, []);
  });
});
