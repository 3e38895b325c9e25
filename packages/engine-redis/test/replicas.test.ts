import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Publication, PublishOptions } from '@switchboard/engine-kit';
import { engineConformance, Recorder } from '@switchboard/engine-kit/conformance';
import { awaitArrivals } from '@switchboard/test-helpers/arrivals';
import { RedisSentinelSet } from '@switchboard/test-helpers/redis-sentinel';
import { sentinelCatchUpMs } from '@switchboard/test-helpers/redis-timing';
import { untilAsync } from '@switchboard/test-helpers/wait';
import { createRedisEngine, REDIS_DEFAULTS, type RedisEngine } from '../src/index.ts';
import { followWithinMs } from '../src/sentinel.ts';
import { sentinelHarness } from './unseen.ts';

// `waitReplicas` over real Sentinel deployments (one master, one replica, one sentinel; test-helpers/src/redis-sentinel.ts).
// A replica is cut off on demand (frozen, its link dropped on the master), so what the master acknowledges next
// reaches no replica: exactly the window asynchronous replication leaves open before a crash.
const opts: PublishOptions = { history: { size: 100, ttlMs: 60_000, metaTtlMs: 60_000 } };
const { timeoutMs } = REDIS_DEFAULTS;
/** How long an engine connection takes to follow the master the sentinels name (sentinel.ts). */
const FOLLOW_MS = followWithinMs(REDIS_DEFAULTS);
/** From a publication acknowledged by the new master to every subscriber having it (test-helpers/src/redis-timing.ts). */
const CATCH_UP_MS = sentinelCatchUpMs(REDIS_DEFAULTS, FOLLOW_MS);
const seen = (ps: readonly Publication[]) => ps.map((p) => `${p.offset}(${p.data})`).join(',') || 'nothing';

// The engine's contract holds with the option on: every publish of the suite waits for the replica.
engineConformance('redis over sentinel, waitReplicas=1', sentinelHarness('?waitReplicas=1'));

describe('redis engine: waitReplicas (publishes acknowledged once a replica holds them)', () => {
  const sets: RedisSentinelSet[] = [];
  const engines: RedisEngine[] = [];
  const engine = async (url: string) => {
    const e = await createRedisEngine(url);
    engines.push(e);
    return e;
  };
  after(async () => {
    for (const e of engines) await e.close();
    for (const s of sets) await s.stop();
  });
  /** A fresh deployment, a subscriber on `channel`, and a publisher with or without `waitReplicas=1`. */
  const setup = async (channel: string, waitReplicas: boolean) => {
    const set = await RedisSentinelSet.start();
    sets.push(set);
    const a = await engine(set.url(waitReplicas ? '?waitReplicas=1' : ''));
    const b = await engine(set.url());
    const rec = new Recorder();
    await b.broker.start(rec);
    await b.broker.subscribe(channel);
    return { set, a, b, rec };
  };

  it('publishes over a connection of its own, refuses what no replica confirms, and hands subscribers nothing unconfirmed', async () => {
    const { set, a, rec } = await setup('w', true);
    assert.deepEqual(a.masters(), {
      commands: `127.0.0.1:${set.master.port}`,
      subscriber: `127.0.0.1:${set.master.port}`,
      publisher: `127.0.0.1:${set.master.port}`,
    });
    const first = (await a.broker.publish('w', '1', opts)).publication;
    await awaitArrivals({
      who: 'the subscriber',
      expected: [first],
      received: () => rec.on('w'),
      limitMs: timeoutMs,
    });

    const thaw = await set.isolateReplica();
    const key = { ...opts, idempotencyKey: 'k2', idempotencyTtlMs: 60_000 };
    try {
      // WAIT gives up after `timeout`: the master has the publication, no replica confirms it.
      await assert.rejects(a.broker.publish('w', '2', key), {
        code: 'unavailable',
        message: new RegExp(`0 of 1 replica\\(s\\) confirmed the publication within ${timeoutMs} ms`),
      });
      // Not published live: it would have reached the subscriber while WAIT was still waiting.
      assert.deepEqual(rec.on('w'), [first], `the subscriber has ${seen(rec.on('w'))}`);
    } finally {
      thaw();
    }
    await set.replicated();
    // The retry with the same key is the same publication, now confirmed, and handed over once.
    const retried = await a.broker.publish('w', '2', key);
    assert.equal(retried.duplicate, true);
    assert.equal(retried.publication.offset, 2);
    const next = (await a.broker.publish('w', '3', opts)).publication;
    await awaitArrivals({
      who: 'the subscriber',
      expected: [first, retried.publication, next],
      received: () => rec.on('w'),
      limitMs: timeoutMs,
    });
    assert.deepEqual(rec.on('w'), [first, retried.publication, next]);
  });

  it('publishes live in offset order across nodes: a channel without history gets everything, a refused one once a later one is confirmed', async () => {
    const { set, a, rec } = await setup('order', true);
    const c = await engine(set.url('?waitReplicas=1'));
    // No history to fill a gap from: a publication handed over out of order would be lost.
    const none: PublishOptions = { history: { size: 0, ttlMs: 60_000, metaTtlMs: 60_000 } };
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : c).broker.publish('order', String(i), none)),
    );
    const acked = results.map((r) => r.publication).sort((x, y) => x.offset - y.offset);
    await awaitArrivals({
      who: 'the subscriber',
      expected: acked,
      received: () => rec.on('order'),
      limitMs: timeoutMs,
    });
    assert.deepEqual(rec.on('order'), acked);
    assert.deepEqual(
      rec.resyncs.filter(([channel]) => channel === 'order'),
      [],
      'no gap to fill: every publication arrived live, in offset order',
    );

    const thaw = await set.isolateReplica();
    try {
      await assert.rejects(a.broker.publish('order', 'refused', none), { code: 'unavailable' });
    } finally {
      thaw();
    }
    await set.replicated();
    // Confirming the next one confirms the refused one too (replication keeps the master's order): both go live.
    const after = (await c.broker.publish('order', 'after', none)).publication;
    await awaitArrivals({
      who: 'the subscriber',
      expected: [...acked, { ...after, offset: 101, data: 'refused' }, after],
      received: () => rec.on('order'),
      limitMs: timeoutMs,
    });
    assert.deepEqual(
      rec
        .on('order')
        .slice(-2)
        .map((p) => [p.offset, p.data]),
      [
        [101, 'refused'],
        [102, 'after'],
      ],
    );
  });

  it('without it, a publication acknowledged while no replica had it is lost in a failover, and its offset reused', async () => {
    const { set, a, rec } = await setup('lost', false);
    const first = (await a.broker.publish('lost', '1', opts)).publication;
    await set.replicated();
    const thaw = await set.isolateReplica();
    const lost = (await a.broker.publish('lost', 'acknowledged, then lost', opts)).publication;
    await awaitArrivals({
      who: 'the subscriber, before the failover',
      expected: [first, lost],
      received: () => rec.on('lost'),
      limitMs: timeoutMs,
    });
    const next = await set.killMaster();
    thaw();
    await set.promoted(next);
    const resolved = await untilAsync(
      () => a.broker.publish('lost', 'after', opts).catch(() => undefined),
      () => `a publish on the new master: ${JSON.stringify(a.masters())}`,
      FOLLOW_MS,
    );
    // The new master never had it: the next publication gets its offset, in the same epoch.
    assert.equal(resolved.publication.offset, lost.offset);
    assert.equal(resolved.publication.epoch, lost.epoch);
    const stream = await a.history.read('lost', { since: { epoch: first.epoch, offset: 0 } });
    assert.deepEqual(stream.publications, [first, resolved.publication]);
    // The subscriber, which had the lost one, takes the new one for it and never hands it on: documented.
    assert.deepEqual(rec.on('lost'), [first, lost]);
  });

  it('with it, the same failover loses nothing acknowledged: the subscriber gets every acknowledged publication', async () => {
    const { set, a, rec } = await setup('kept', true);
    const first = (await a.broker.publish('kept', '1', opts)).publication;
    await set.replicated();
    const thaw = await set.isolateReplica();
    await assert.rejects(a.broker.publish('kept', 'never confirmed', opts), { code: 'unavailable' });
    const next = await set.killMaster();
    thaw();
    await set.promoted(next);
    // No replica is left to confirm anything: publishes are refused until the dead server rejoins as one.
    await assert.rejects(a.broker.publish('kept', 'no replica', opts), { code: 'unavailable' });
    await set.rejoin();
    const acked = [first];
    // A refused attempt may still be on the master (its WAIT timed out while the publisher's connections were
    // following the new master) and goes live once a later publish is confirmed: every attempt has data of its
    // own, so the subscriber's stream can be told apart.
    const refused = new Set<string>();
    let attempt = 0;
    await untilAsync(
      async () => {
        const data = `after-${++attempt}`;
        const p = await a.broker.publish('kept', data, opts).catch(() => void refused.add(data));
        if (p !== undefined) acked.push(p.publication);
        return acked.length === 4;
      },
      () => `publishes on the new master: ${acked.length} acknowledged, ${refused.size} refused`,
      FOLLOW_MS,
    );
    await awaitArrivals({
      who: 'the subscriber, after the failover',
      expected: acked,
      received: () => rec.on('kept'),
      limitMs: CATCH_UP_MS,
      state: () => JSON.stringify(engines.map((e) => [e.ready(), e.masters()])),
    });
    const got = rec.on('kept');
    const ackedData = new Set(acked.map((p) => p.data));
    assert.deepEqual(
      got.filter((p) => ackedData.has(p.data)),
      acked,
      `the acknowledged ones, in order: the subscriber has ${seen(got)}`,
    );
    assert.deepEqual(
      got.filter((p) => !ackedData.has(p.data) && !refused.has(p.data)),
      [],
      `nothing but acknowledged publications and refused attempts applied all the same: ${seen(got)}`,
    );
    assert.deepEqual(
      got.map((p) => p.offset),
      got.map((_, i) => i + 1),
      `offsets dense, nothing lost, none reused: ${seen(got)}`,
    );
    assert.equal(new Set(got.map((p) => p.epoch)).size, 1, 'one epoch');
  });
});
