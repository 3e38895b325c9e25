import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine, PublishOptions } from '@switchboard/engine-kit';
import { engineConformance, Recorder } from '@switchboard/engine-kit/conformance';
import { RedisServer } from '@switchboard/test-helpers/redis-server';
import { until } from '@switchboard/test-helpers/wait';
import { createRedisEngine, type RedisEngine } from '../src/index.ts';
import { unseenHarness } from './unseen.ts';

const opts: PublishOptions = { history: { size: 100, ttlMs: 60_000, metaTtlMs: 60_000 } };

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
    await until(
      () => rec.on('plain').length === 1,
      () => 'plain delivery',
    );
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
    const deadline = Date.now() + 5_000;
    while ((await redis.command('EXISTS sb:{meta-ttl}:meta')) !== ':0') {
      assert.ok(Date.now() < deadline, 'the metadata key expires');
      await new Promise((r) => setTimeout(r, 50)); // poll pause
    }
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
    await a.broker.publish('killed', '1', opts);
    await until(
      () => rec.on('killed').length === 1,
      () => 'first delivery',
    );
    // Kill the subscriber connections and publish before they come back: pub/sub drops these.
    await redis.command('CLIENT KILL TYPE pubsub');
    const during = [];
    for (let i = 2; i <= 5; i++)
      during.push((await a.broker.publish('killed', String(i), opts)).publication.offset);
    await until(
      () => rec.on('killed').length === 5,
      () => `catch-up, got ${rec.on('killed').map((p) => p.offset)}`,
    );
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
    await until(
      () => rec.on('outage').length === 1,
      () => 'delivery before the outage',
    );
    await redis.stop();
    await until(
      () => !a.ready(),
      () => 'ready() to turn false',
    );
    const started = Date.now();
    await assert.rejects(a.broker.publish('outage', '2', opts), { code: 'unavailable' });
    await assert.rejects(a.history.top('outage'), { code: 'unavailable' });
    await assert.rejects(a.presence.list('outage'), { code: 'unavailable' });
    await assert.rejects(a.broker.subscribe('outage-other'), { code: 'unavailable' });
    assert.ok(Date.now() - started < 5_000, 'failed fast');
    await redis.restart();
    await until(
      () => a.ready(),
      () => 'ready() after Redis is back',
      10_000,
    );
    const after = await a.broker.publish('outage', '3', opts);
    assert.notEqual(after.publication.epoch, before.publication.epoch);
    assert.equal(after.publication.offset, 1);
    await until(
      () => rec.on('outage').some((p) => p.epoch === after.publication.epoch),
      () => 'delivery after the outage (resubscribed)',
      10_000,
    );
  });

  it('hands over a new epoch from its start when a node resubscribes late after Redis lost the stream', async () => {
    const a = await engine();
    const b = await engine();
    const rec = new Recorder();
    await b.broker.start(rec);
    await b.broker.subscribe('late');
    await a.broker.publish('late', '1', opts);
    await until(
      () => rec.on('late').length === 1,
      () => 'first delivery',
    );
    // Lose every key and the subscriber connections at once, then publish before they resubscribe.
    await redis.command('FLUSHALL');
    await redis.command('CLIENT KILL TYPE pubsub');
    const fresh = [];
    for (let i = 0; i < 3; i++) fresh.push((await a.broker.publish('late', String(i), opts)).publication);
    await until(
      () => rec.on('late').length === 4,
      () => `new epoch handed over, got ${JSON.stringify(rec.on('late').map((p) => [p.epoch, p.offset]))}`,
    );
    assert.deepEqual(rec.on('late').slice(1), fresh);
  });

  it('bounds every call when Redis is connected but stops answering, and says so in ready()', async () => {
    const a = await engine('?timeout=1000');
    await a.broker.publish('frozen', '1', opts);
    redis.pause();
    try {
      const started = Date.now();
      await assert.rejects(a.broker.publish('frozen', '2', opts), { code: 'unavailable' });
      await assert.rejects(a.history.read('frozen', {}), { code: 'unavailable' });
      assert.ok(Date.now() - started < 6_000, `bounded by the timeout, took ${Date.now() - started} ms`);
      assert.equal(a.ready(), false);
    } finally {
      redis.resume();
    }
    await until(
      () => a.ready(),
      () => 'ready() once Redis answers again',
    );
    const after = await a.broker.publish('frozen', '3', opts);
    // The publish that timed out may still have been applied once Redis thawed: at least the next offset.
    assert.ok(after.publication.offset >= 2);
  });

  it('refuses an unreachable Redis at start, within the timeout', async () => {
    await assert.rejects(createRedisEngine('redis://127.0.0.1:1?timeout=200'), { code: 'unavailable' });
  });
});
