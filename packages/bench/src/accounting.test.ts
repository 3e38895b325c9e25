// Loss and duplicate accounting with literal sequences: a fake SSE hub on port 0 writes publications whose
// payload sequence numbers are given here (gaps, late fills, duplicates, reorders, a missing tail), real
// Subscribers count them, and the step verdict (`judge`) is read from what they counted.

import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { DIALECTS } from './dialect.ts';
import { SeqSet } from './seq-set.ts';
import { judge, type StepVerdictInput } from './step.ts';
import { Subscriber } from './subscriber.ts';
import { WorkerStats } from './worker-stats.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A fake SSE hub: answers the stream request, confirms the subscription, then writes what `push` is given. */
async function sseHub(): Promise<{ port: number; push: (seqs: number[]) => void }> {
  let socket: Socket | undefined;
  const queued: string[] = [];
  const server = createServer((s) => {
    s.on('error', () => {}); // the subscriber resets the connection when the test closes it
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n');
      s.write('event: subscribed\ndata: {"type":"subscribed","channel":"c","offset":0}\n\n');
      socket = s;
      for (const q of queued.splice(0)) s.write(q);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const events = (seqs: number[]): string =>
    seqs
      .map((n) => {
        const t = performance.timeOrigin + performance.now();
        return `data: {"type":"message","channel":"c","offset":${n},"data":{"t":${t},"s":${n},"p":"x"}}\n\n`;
      })
      .join('');
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    push: (seqs) => {
      const text = events(seqs);
      if (socket === undefined) queued.push(text);
      else socket.write(text);
    },
  };
}

function open(port: number, stats: WorkerStats): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const sub: Subscriber = new Subscriber(
      {
        host: '127.0.0.1',
        port,
        transport: 'sse',
        dialect: DIALECTS.switchboard,
        channel: 'c',
        connectTimeoutMs: 2000,
      },
      stats,
      { ready: () => resolve(sub), fail: (_s, code) => reject(new Error(code)), drop: () => {} },
    );
  });
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `${what}: not reached in 2 s`);
}

/** Runs `seqs` (arriving during the step) and `drain` (arriving after the expectation) through one subscriber. */
async function account(
  expected: [number, number],
  seqs: number[],
  drain: number[] = [],
  stats = new WorkerStats(),
): Promise<WorkerStats> {
  const hub = await sseHub();
  const sub = await open(hub.port, stats);
  const before = stats.totalReceived;
  hub.push(seqs);
  await until('step deliveries', () => stats.totalReceived === before + seqs.length);
  sub.expect(SeqSet.from([expected]));
  hub.push(drain);
  await until('drain deliveries', () => stats.totalReceived === before + seqs.length + drain.length);
  sub.close();
  return stats;
}

/** The verdict of a step that met its latency bound and every other condition, given what was counted. */
function verdict(stats: WorkerStats): ReturnType<typeof judge> {
  const input: StepVerdictInput = {
    p99Ms: 10,
    p99BoundMs: 250,
    lost: stats.owed,
    duplicates: stats.duplicates,
    dropped: stats.dropped,
    publishFailed: 0,
    publishSkipped: 0,
    accepted: 5,
    received: stats.received,
    hubBusy: 0.3,
    generatorBusy: 0.3,
    generatorBound: false,
  };
  return judge(input);
}

test('every number once, in order: nothing owed, the step passes', async () => {
  const s = await account([1, 5], [1, 2, 3, 4, 5]);
  assert.deepEqual([s.owed, s.duplicates, s.reordered], [0, 0, 0]);
  assert.deepEqual(verdict(s), { pass: true, limit: 'none' });
});

test('a gap is owed: the step fails on loss', async () => {
  const s = await account([1, 5], [1, 2, 3, 5]);
  assert.deepEqual([s.owed, s.duplicates, s.reordered], [1, 0, 0]);
  assert.deepEqual(verdict(s), { pass: false, limit: 'loss' });
});

test('a late arrival that fills the gap during the drain pays it back: the step passes', async () => {
  const s = await account([1, 5], [1, 2, 3, 5], [4]);
  assert.deepEqual([s.owed, s.duplicates, s.reordered], [0, 0, 1]);
  assert.deepEqual(verdict(s), { pass: true, limit: 'none' });
});

test('a repeat does not fill a gap (1, 2, 3, 5, then 2 again): one lost, one duplicate, the step fails', async () => {
  const s = await account([1, 5], [1, 2, 3, 5, 2]);
  assert.deepEqual([s.owed, s.duplicates], [1, 1]);
  assert.equal(s.received, 5); // what the socket carried, the repeat included
  assert.deepEqual(verdict(s), { pass: false, limit: 'duplicate' });
});

test('a duplicate alone fails the step, though nothing is lost', async () => {
  const s = await account([1, 5], [1, 2, 2, 3, 4], [5, 5]);
  assert.deepEqual([s.owed, s.duplicates], [0, 2]);
  assert.deepEqual(verdict(s), { pass: false, limit: 'duplicate' });
});

test('reordered but complete: late arrivals counted, nothing owed, the step passes', async () => {
  const s = await account([1, 5], [2, 1, 4, 3, 5]);
  assert.deepEqual([s.owed, s.duplicates, s.reordered], [0, 0, 2]);
  assert.deepEqual(verdict(s), { pass: true, limit: 'none' });
});

test('a missing tail is owed at the end of the drain', async () => {
  const s = await account([1, 5], [1, 2], [3]);
  assert.deepEqual([s.owed, s.duplicates], [2, 0]);
  assert.deepEqual(verdict(s), { pass: false, limit: 'loss' });
});

test('a stray from an earlier step neither fills this step nor counts as its duplicate', async () => {
  const s = await account([11, 15], [9, 11, 12, 13, 14], [10]);
  assert.deepEqual([s.owed, s.duplicates], [1, 0]);
});

test('totals add per-subscriber figures: one subscriber’s duplicate does not cancel another’s gap', async () => {
  const stats = new WorkerStats();
  await account([1, 5], [1, 2, 3, 5], [], stats); // owes 4
  await account([1, 5], [1, 2, 3, 4, 5, 3], [], stats); // complete, and one duplicate
  assert.deepEqual([stats.owed, stats.duplicates], [1, 1]);
  assert.equal(verdict(stats).pass, false);
});

test('a latency below zero (clocks disagree) is counted, not put in the histogram', () => {
  const stats = new WorkerStats();
  stats.recordLatency(1500);
  stats.recordLatency(-250);
  stats.recordLatency(-40);
  assert.equal(stats.latency.count, 1);
  assert.equal(stats.negative, 2);
  assert.equal(stats.minLatency, -250);
});

test('judge: limits in order, and a step that delivered nothing fails', () => {
  const base: StepVerdictInput = {
    p99Ms: 10,
    p99BoundMs: 250,
    lost: 0,
    duplicates: 0,
    dropped: 0,
    publishFailed: 0,
    publishSkipped: 0,
    accepted: 10,
    received: 10,
    hubBusy: 0.3,
    generatorBusy: 0.3,
    generatorBound: false,
  };
  assert.deepEqual(judge(base), { pass: true, limit: 'none' });
  assert.deepEqual(judge({ ...base, p99Ms: 251 }), { pass: false, limit: 'latency' });
  assert.deepEqual(judge({ ...base, p99Ms: 300, hubBusy: 0.95 }), { pass: false, limit: 'hub' });
  assert.deepEqual(judge({ ...base, lost: 1, generatorBound: true }), { pass: false, limit: 'generator' });
  assert.deepEqual(judge({ ...base, lost: 1, hubBusy: 0.95, generatorBound: true, generatorBusy: 0.95 }), {
    pass: false,
    limit: 'both',
  });
  assert.deepEqual(judge({ ...base, publishSkipped: 1 }), { pass: false, limit: 'publisher' });
  assert.deepEqual(judge({ ...base, dropped: 1 }), { pass: false, limit: 'loss' });
  assert.deepEqual(judge({ ...base, duplicates: 1, hubBusy: 0.95 }), { pass: false, limit: 'duplicate' });
  assert.deepEqual(judge({ ...base, accepted: 0, received: 0 }), { pass: false, limit: 'loss' });
});
