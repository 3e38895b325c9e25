import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine, Publication, PublishOptions } from '@switchboard/engine-kit';
import { engineConformance, Recorder } from '@switchboard/engine-kit/conformance';
import { RedisSentinelSet } from '@switchboard/test-helpers/redis-sentinel';
import { freePort } from '@switchboard/test-helpers/redis-server';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import { createRedisEngine, type RedisEngine } from '../src/index.ts';
import { unseenHarness } from './unseen.ts';

// Real processes on free ports: one master, one replica, one sentinel (quorum 1). See packages/test-helpers/src/redis-sentinel.ts.
const opts: PublishOptions = { history: { size: 100, ttlMs: 60_000, metaTtlMs: 60_000 } };

let conformanceSet: RedisSentinelSet | undefined;
const unseen = unseenHarness(async () => ({
  url: `redis://127.0.0.1:${await conformanceSet!.masterPort()}`,
}));
engineConformance('redis over sentinel', {
  async createNodes(n: number): Promise<Engine[]> {
    conformanceSet ??= await RedisSentinelSet.start();
    const set = conformanceSet;
    return Promise.all(Array.from({ length: n }, () => createRedisEngine(set.url())));
  },
  async cleanup() {
    await unseen.close();
    await conformanceSet?.stop();
  },
  publishUnseen: unseen.publishUnseen,
});

describe('redis engine over sentinel', () => {
  let set: RedisSentinelSet;
  const engines: RedisEngine[] = [];
  const engine = async (url: string) => {
    const e = await createRedisEngine(url);
    engines.push(e);
    return e;
  };
  const offsets = (rec: Recorder, channel: string) => rec.on(channel).map((p) => p.offset);
  /** Both connections of every engine on the server at `port`, and ready. */
  const allOn = (port: number) =>
    engines.every((e) => {
      const m = e.masters();
      return e.ready() && m?.commands === `127.0.0.1:${port}` && m.subscriber === `127.0.0.1:${port}`;
    });

  before(async () => {
    set = await RedisSentinelSet.start();
  });
  after(async () => {
    for (const e of engines) await e.close();
    await set.stop();
  });

  it('finds the master through the sentinels, skipping one that does not answer', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const e = await engine(set.url('?timeout=1000', [dead]));
    assert.deepEqual(e.masters(), {
      commands: `127.0.0.1:${set.master.port}`,
      subscriber: `127.0.0.1:${set.master.port}`,
    });
    const p = await e.broker.publish('found', '1', opts);
    assert.equal(p.publication.offset, 1);
  });

  it('refuses a master name the sentinels do not know, and unreachable sentinels, at start', async () => {
    const wrong = set.url().replace(`/${set.name}`, '/nosuchmaster');
    await assert.rejects(createRedisEngine(`${wrong}?timeout=500`), {
      code: 'unavailable',
      message: /knows no master named "nosuchmaster"/,
    });
    await assert.rejects(createRedisEngine(`redis+sentinel://127.0.0.1:${await freePort()}/x?timeout=300`), {
      code: 'unavailable',
    });
  });

  it('follows a SENTINEL FAILOVER: publishes go to the new master, subscribers get everything acknowledged', async () => {
    const a = await engine(set.url());
    const b = await engine(set.url());
    const rec = new Recorder();
    await b.broker.start(rec);
    await b.broker.subscribe('moved');
    const acked: Publication[] = [];
    for (let i = 1; i <= 3; i++) acked.push((await a.broker.publish('moved', String(i), opts)).publication);
    await until(
      () => rec.on('moved').length === 3,
      () => `before the failover, got ${offsets(rec, 'moved')}`,
    );
    await set.replicated(); // replication is asynchronous: what the old master has not passed on is lost
    const next = await set.failover();
    await until(
      () => allOn(next.port),
      () =>
        `every engine on the new master, got ${JSON.stringify(engines.map((e) => [e.ready(), e.masters()]))}`,
      20_000,
    );
    for (let i = 4; i <= 6; i++) acked.push((await a.broker.publish('moved', String(i), opts)).publication);
    await until(
      () => rec.on('moved').length === 6,
      () => `after the failover, got ${offsets(rec, 'moved')}`,
      10_000,
    );
    assert.deepEqual(rec.on('moved'), acked);
    assert.ok(
      acked.every((p) => p.epoch === acked[0]?.epoch),
      'one epoch across the failover',
    );
  });

  it('follows the sentinels when the master is killed: calls fail fast meanwhile, nothing acknowledged is lost', async () => {
    const a = await engine(set.url());
    const b = await engine(set.url());
    const rec = new Recorder();
    await b.broker.start(rec);
    await b.broker.subscribe('killed');
    const acked: Publication[] = [];
    for (let i = 1; i <= 3; i++) acked.push((await a.broker.publish('killed', String(i), opts)).publication);
    await set.replicated();
    const killing = set.killMaster();
    // Publish all through the outage: each attempt either fails with `unavailable` or is acknowledged.
    let failed = 0;
    await untilAsync(
      async () => {
        try {
          acked.push((await a.broker.publish('killed', String(acked.length + 1), opts)).publication);
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'unavailable');
          failed++;
        }
        return failed > 0 && acked.length >= 8;
      },
      () => `publishes to succeed again after the failover (${acked.length} acknowledged, ${failed} failed)`,
      30_000,
    );
    const next = await killing;
    assert.equal(await set.masterPort(), next.port);
    await until(
      () => rec.on('killed').length === acked.length,
      () => `every acknowledged publication, got ${offsets(rec, 'killed')} of ${acked.length}`,
      10_000,
    );
    assert.deepEqual(rec.on('killed'), acked);
    assert.deepEqual(
      offsets(rec, 'killed'),
      acked.map((_, i) => i + 1),
    );
  });
});
