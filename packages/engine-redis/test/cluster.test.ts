import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine, Publication, PublishOptions } from '@switchboard/engine-kit';
import { engineConformance, Recorder } from '@switchboard/engine-kit/conformance';
import { awaitArrivals } from '@switchboard/test-helpers/arrivals';
import { RedisClusterSet } from '@switchboard/test-helpers/redis-cluster';
import { cli } from '@switchboard/test-helpers/redis-sentinel';
import { catchUpMs, deliveryMs, noticeMs } from '@switchboard/test-helpers/redis-timing';
import { until } from '@switchboard/test-helpers/wait';
import { createRedisEngine, REDIS_DEFAULTS, type RedisEngine } from '../src/index.ts';
import { unseenHarness } from './unseen.ts';

// A real three-master Redis Cluster on free ports (packages/test-helpers/src/redis-cluster.ts).
const opts: PublishOptions = { history: { size: 100, ttlMs: 60_000, metaTtlMs: 60_000 } };

let conformanceSet: RedisClusterSet | undefined;
const unseen = unseenHarness(async () => ({ cluster: conformanceSet!.nodes.map((n) => n.port) }));
engineConformance('redis cluster', {
  async createNodes(n: number): Promise<Engine[]> {
    conformanceSet ??= await RedisClusterSet.start();
    const set = conformanceSet;
    return Promise.all(Array.from({ length: n }, () => createRedisEngine(set.url())));
  },
  async cleanup() {
    await unseen.close();
    await conformanceSet?.stop();
  },
  publishUnseen: unseen.publishUnseen,
});

describe('redis engine over a Redis Cluster', () => {
  let set: RedisClusterSet;
  const engines: RedisEngine[] = [];
  const engine = async () => {
    const e = await createRedisEngine(set.url());
    engines.push(e);
    return e;
  };
  before(async () => {
    set = await RedisClusterSet.start();
  });
  after(async () => {
    for (const e of engines) await e.close();
    await set.stop();
  });

  it('spreads channels over the masters, each channel on its slot', async () => {
    const a = await engine();
    assert.equal(a.sharded, true);
    const channels = Array.from({ length: 12 }, (_, i) => `spread-${i}`);
    for (const c of channels) await a.broker.publish(c, '1', opts);
    // Every master holds some of the channels' streams: the keys really are spread over slots.
    const holders = await Promise.all(set.nodes.map(async (n) => (await cli(n.port, 'DBSIZE'))[0]));
    assert.ok(
      holders.every((h) => Number(h) > 0),
      `keys per master: ${holders.join(', ')}`,
    );
  });

  it('catches up after every pub/sub connection is killed, with no further publication', async () => {
    const a = await engine();
    const b = await engine();
    const rec = new Recorder();
    await b.broker.start(rec);
    const channels = ['kill-a', 'kill-b', 'kill-c', 'kill-d'];
    for (const c of channels) await b.broker.subscribe(c);
    const acked: Publication[] = [];
    for (const c of channels) acked.push((await a.broker.publish(c, '1', opts)).publication);
    const arrived = (limitMs: number, when: string) =>
      Promise.all(
        channels.map((c) =>
          awaitArrivals({
            who: `node b on ${c}, ${when}`,
            expected: acked.filter((p) => p.channel === c),
            received: () => rec.on(c),
            limitMs,
            state: () => `ready ${b.ready()}`,
          }),
        ),
      );
    await arrived(deliveryMs(REDIS_DEFAULTS), 'before the storm');
    // Publish while every pub/sub connection is killed again and again, then stop: nothing is published after,
    // so only noticing the reconnection (and reading the streams) can deliver what pub/sub dropped.
    const calm = await set.storm();
    for (let i = 2; i <= 4; i++)
      for (const c of channels) acked.push((await a.broker.publish(c, String(i), opts)).publication);
    assert.ok((await calm()) > 0, 'pub/sub connections killed');
    await arrived(catchUpMs(REDIS_DEFAULTS), 'after the storm, nothing published since');
    for (const c of channels)
      assert.deepEqual(
        rec.on(c),
        acked.filter((p) => p.channel === c),
      );
  });

  it("with waitReplicas, sends WAIT to the channel's master: no replica here, so every publish is refused and nothing is handed on", async () => {
    const a = await createRedisEngine(set.url('?waitReplicas=1'));
    engines.push(a);
    const rec = new Recorder();
    await a.broker.start(rec);
    const channels = ['wait-a', 'wait-b', 'wait-c'];
    for (const c of channels) await a.broker.subscribe(c);
    assert.equal(
      new Set(await Promise.all(channels.map((c) => set.ownerOf(`sb:{${c}}:meta`)))).size > 1,
      true,
    );
    for (const c of channels)
      await assert.rejects(a.broker.publish(c, '1', opts), {
        code: 'unavailable',
        message: /0 of 1 replica\(s\) confirmed the publication/,
      });
    // Each stays on its master, pending, never published live: no replica will ever confirm it.
    assert.deepEqual(rec.publications, []);
    for (const c of channels) assert.equal((await a.history.top(c)).offset, 1, c);
  });

  it('refuses an unreachable cluster at start, within the timeout', async () => {
    await assert.rejects(createRedisEngine('redis+cluster://127.0.0.1:1?timeout=300'), {
      code: 'unavailable',
    });
  });

  it('with one master down, fails fast on its channels only, and says so in ready()', async () => {
    const a = await engine();
    const channels = Array.from({ length: 12 }, (_, i) => `down-${i}`);
    const owners = new Map<string, number>();
    for (const c of channels) owners.set(c, await set.ownerOf(`sb:{${c}}:meta`));
    const dead = owners.get('down-0') as number;
    assert.ok(
      channels.some((c) => owners.get(c) !== dead),
      'some channels live on other masters',
    );
    await set.kill(dead);
    await until(
      () => !a.ready(),
      () => 'ready() to turn false',
      noticeMs(REDIS_DEFAULTS),
    );
    for (const c of channels) {
      if (owners.get(c) === dead)
        await assert.rejects(a.broker.publish(c, '1', opts), { code: 'unavailable' });
      else assert.equal((await a.broker.publish(c, '1', opts)).publication.offset, 1, c);
    }
  });
});
