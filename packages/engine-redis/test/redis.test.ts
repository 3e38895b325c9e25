import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine, PublishOptions } from '@switchboard/engine-kit';
import { engineConformance, Recorder } from '@switchboard/engine-kit/conformance';
import { awaitArrivals } from '@switchboard/test-helpers/arrivals';
import { RedisServer } from '@switchboard/test-helpers/redis-server';
import {
  catchUpMs,
  deliveryMs,
  noticeMs,
  type RedisTiming,
  reconnectMs,
} from '@switchboard/test-helpers/redis-timing';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import { createRedisEngine, REDIS_DEFAULTS, type RedisEngine } from '../src/index.ts';
import { unseenHarness } from './unseen.ts';

const opts: PublishOptions = { history: { size: 100, ttlMs: 60_000, metaTtlMs: 60_000 } };
/** The engine's timings with a `timeout` query parameter (test-helpers/src/redis-timing.ts). */
const timing = (timeoutMs: number = REDIS_DEFAULTS.timeoutMs): RedisTiming => ({
  ...REDIS_DEFAULTS,
  timeoutMs,
});

let conformanceRedis: RedisServer | undefined;
const unseen = unseenHarness(async () => ({ url: conformanceRedis!.url }));
const conformanceEngines: Engine[] = [];
engineConformance('redis', {
  async createNodes(n: number): Promise<Engine[]> {
    conformanceRedis ??= await RedisServer.start();
    const redis = conformanceRedis;
    const nodes = await Promise.all(Array.from({ length: n }, () => createRedisEngine(redis.url)));
    conformanceEngines.push(...nodes);
    return nodes;
  },
  async cleanup() {
    await unseen.close();
    await conformanceRedis?.stop();
  },
  publishUnseen: unseen.publishUnseen,
});

describe('redis engine', () => {
  let redis: RedisServer;
  const engines: RedisEngine[] = [];
  const engine = async (query = '') => {
    const e = await createRedisEngine(redis.url + query);
    engines.push(e);
    return e;
  };
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const e of engines) await e.close();
    await redis.stop();
  });

  it('uses sharded pub/sub on Redis 7, and plain pub/sub when told to', async () => {
    const auto = await engine();
    const plain = await engine('?sharded=no');
    assert.equal(auto.sharded, true);
    assert.equal(plain.sharded, false);
    const rec = new Recorder();
    await plain.broker.start(rec);
    await plain.broker.subscribe('plain');
    const p = await plain.broker.publish('plain', '1', opts);
    await awaitArrivals({
      who: 'the plain pub/sub subscriber',
      expected: [p.publication],
      received: () => rec.on('plain'),
      limitMs: deliveryMs(timing()),
    });
    assert.deepEqual(rec.on('plain'), [p.publication]);
  });

  it('keeps positions across engine restarts: they live in Redis, not in the node', async () => {
    const first = await engine();
    const p = await first.broker.publish('durable', '"x"', opts);
    await first.close();
    const second = await engine();
    assert.deepEqual(await second.history.top('durable'), { epoch: p.publication.epoch, offset: 1 });
    const r = await second.history.read('durable', { since: { epoch: p.publication.epoch, offset: 0 } });
    assert.equal(r.recovered, true);
    assert.deepEqual(r.publications, [p.publication]);
  });

  it('lets stream metadata expire metaTtl after the last publication: the next one starts a new epoch', async () => {
    const a = await engine();
    const short: PublishOptions = { history: { size: 10, ttlMs: 100, metaTtlMs: 300 } };
    const first = await a.broker.publish('meta-ttl', '1', short);
    const pttl = Number((await redis.command('PTTL sb:{meta-ttl}:meta')).slice(1));
    assert.ok(pttl > 0 && pttl <= 300, `metadata expiry ${pttl} ms`);
    // EXISTS on a key past its expiry deletes it (lazy expiry): it answers 0 once the PTTL has run out.
    let exists = '';
    await untilAsync(
      async () => {
        exists = await redis.command('EXISTS sb:{meta-ttl}:meta');
        return exists === ':0';
      },
      () => `the metadata key to expire after ${pttl} ms, EXISTS still answers ${exists}`,
      pttl + REDIS_DEFAULTS.timeoutMs,
    );
    const next = await a.broker.publish('meta-ttl', '2', short);
    assert.notEqual(next.publication.epoch, first.publication.epoch);
    assert.equal(next.publication.offset, 1);
  });

  it('keeps channels apart by prefix', async () => {
    const one = await engine('?prefix=one');
    const two = await engine('?prefix=two');
    await one.broker.publish('shared', '1', opts);
    assert.equal((await two.history.top('shared')).offset, 0);
  });

  it('catches up after its pub/sub connection is killed, with no further publication', async () => {
    const a = await engine();
    const b = await engine();
    const rec = new Recorder();
    await b.broker.start(rec);
    await b.broker.subscribe('killed');
    const acked = [(await a.broker.publish('killed', '1', opts)).publication];
    await awaitArrivals({
      who: 'node b',
      expected: acked,
      received: () => rec.on('killed'),
      limitMs: deliveryMs(timing()),
    });
    // Kill the subscriber connections and publish before they come back: pub/sub drops these.
    await redis.command('CLIENT KILL TYPE pubsub');
    for (let i = 2; i <= 5; i++) acked.push((await a.broker.publish('killed', String(i), opts)).publication);
    await awaitArrivals({
      who: 'node b, after its pub/sub connection was killed',
      expected: acked,
      received: () => rec.on('killed'),
      limitMs: catchUpMs(timing()),
      state: () => `ready ${b.ready()}`,
    });
    assert.deepEqual(
      rec.on('killed').map((p) => p.offset),
      [1, 2, 3, 4, 5],
    );
    assert.equal(b.ready(), true);
  });

  it('fails fast with `unavailable` while Redis is down, reconnects, and starts a new epoch for lost streams', async () => {
    const a = await engine('?timeout=500');
    const rec = new Recorder();
    await a.broker.start(rec);
    await a.broker.subscribe('outage');
    const before = await a.broker.publish('outage', '1', opts);
    await awaitArrivals({
      who: 'the subscriber, before the outage',
      expected: [before.publication],
      received: () => rec.on('outage'),
      limitMs: deliveryMs(timing(500)),
    });
    await redis.stop();
    await until(
      () => !a.ready(),
      () => 'ready() to turn false',
      noticeMs(timing(500)),
    );
    // Refused at once (the connection is known to be down), never by waiting out the timeout.
    const fast = (err: Error & { code?: string }) =>
      err.code === 'unavailable' && !/did not answer/.test(err.message);
    await assert.rejects(a.broker.publish('outage', '2', opts), fast);
    await assert.rejects(a.history.top('outage'), fast);
    await assert.rejects(a.presence.list('outage'), fast);
    await assert.rejects(a.broker.subscribe('outage-other'), fast);
    await redis.restart();
    await until(
      () => a.ready(),
      () => 'ready() after Redis is back',
      reconnectMs(timing(500)),
    );
    const after = await a.broker.publish('outage', '3', opts);
    assert.notEqual(after.publication.epoch, before.publication.epoch);
    assert.equal(after.publication.offset, 1);
    await awaitArrivals({
      who: 'the subscriber, after the outage (resubscribed)',
      expected: [before.publication, after.publication],
      received: () => rec.on('outage'),
      limitMs: catchUpMs(timing(500)),
    });
  });

  it('hands over a new epoch from its start when a node resubscribes late after Redis lost the stream', async () => {
    const a = await engine();
    const b = await engine();
    const rec = new Recorder();
    await b.broker.start(rec);
    await b.broker.subscribe('late');
    const first = (await a.broker.publish('late', '1', opts)).publication;
    await awaitArrivals({
      who: 'node b',
      expected: [first],
      received: () => rec.on('late'),
      limitMs: deliveryMs(timing()),
    });
    // Lose every key and the subscriber connections at once, then publish before they resubscribe.
    await redis.command('FLUSHALL');
    await redis.command('CLIENT KILL TYPE pubsub');
    const fresh = [];
    for (let i = 0; i < 3; i++) fresh.push((await a.broker.publish('late', String(i), opts)).publication);
    await awaitArrivals({
      who: 'node b, the new epoch',
      expected: [first, ...fresh],
      received: () => rec.on('late'),
      limitMs: catchUpMs(timing()),
    });
    assert.deepEqual(rec.on('late').slice(1), fresh);
  });

  it('bounds every call when Redis is connected but stops answering, and says so in ready()', async () => {
    const a = await engine('?timeout=1000');
    await a.broker.publish('frozen', '1', opts);
    redis.pause();
    try {
      // Ended by the engine's own bound, not left hanging (node-redis stops counting once a command is written).
      const bounded = { code: 'unavailable', message: /did not answer a command within 1000 ms/ };
      await assert.rejects(a.broker.publish('frozen', '2', opts), bounded);
      await assert.rejects(a.history.read('frozen', {}), bounded);
      assert.equal(a.ready(), false);
    } finally {
      redis.resume();
    }
    // A PING every half timeout finds it answering again, each bounded by the timeout; twice.
    await until(
      () => a.ready(),
      () => 'ready() once Redis answers again',
      2 * (500 + 1_000),
    );
    const after = await a.broker.publish('frozen', '3', opts);
    // The publish that timed out may still have been applied once Redis thawed: at least the next offset.
    assert.ok(after.publication.offset >= 2);
  });

  it('refuses an unreachable Redis at start, within the timeout', async () => {
    await assert.rejects(createRedisEngine('redis://127.0.0.1:1?timeout=200'), { code: 'unavailable' });
  });
});
