import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Publication, PublishOptions } from '@switchboard/engine-kit';
import { engineConformance, Recorder } from '@switchboard/engine-kit/conformance';
import { awaitArrivals, ranges } from '@switchboard/test-helpers/arrivals';
import { PROMOTION_MS, RedisSentinelSet } from '@switchboard/test-helpers/redis-sentinel';
import { freePort } from '@switchboard/test-helpers/redis-server';
import { sentinelCatchUpMs } from '@switchboard/test-helpers/redis-timing';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import { createRedisEngine, REDIS_DEFAULTS, type RedisEngine } from '../src/index.ts';
import { followWithinMs } from '../src/sentinel.ts';
import { sentinelHarness } from './unseen.ts';

// Real processes on free ports: one master, one replica, one sentinel (quorum 1). See packages/test-helpers/src/redis-sentinel.ts.
const opts: PublishOptions = { history: { size: 100, ttlMs: 60_000, metaTtlMs: 60_000 } };

const { timeoutMs } = REDIS_DEFAULTS;
/** How long an engine connection takes to follow the master the sentinels name (sentinel.ts). */
const FOLLOW_MS = followWithinMs(REDIS_DEFAULTS);
/** From a publication acknowledged by the new master to every subscriber having it (test-helpers/src/redis-timing.ts). */
const CATCH_UP_MS = sentinelCatchUpMs(REDIS_DEFAULTS, FOLLOW_MS);

engineConformance('redis over sentinel', sentinelHarness());

describe('redis engine over sentinel', () => {
  let set: RedisSentinelSet;
  const engines: RedisEngine[] = [];
  const engine = async (url: string) => {
    const e = await createRedisEngine(url);
    engines.push(e);
    return e;
  };
  /** The offsets the master now holds for `channel` (in `epoch`), for a failure message. */
  const held = async (e: RedisEngine, channel: string, epoch: string | undefined) => {
    const r = await e.history.read(channel, { since: { epoch: epoch ?? '', offset: 0 }, limit: 1_000 });
    return `the master holds offsets ${ranges(r.publications.map((p) => p.offset))} (top ${r.top.epoch}:${r.top.offset})`;
  };
  const engineStates = () =>
    engines.map((e, i) => `engine ${i}: ready ${e.ready()}, on ${JSON.stringify(e.masters())}`).join('; ');
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
    const e = await engine(set.url('', [dead]));
    assert.deepEqual(e.masters(), {
      commands: `127.0.0.1:${set.master.port}`,
      subscriber: `127.0.0.1:${set.master.port}`,
    });
    const p = await e.broker.publish('found', '1', opts);
    assert.equal(p.publication.offset, 1);
  });

  it('refuses a master name the sentinels do not know, and unreachable sentinels, at start', async () => {
    const wrong = set.url().replace(`/${set.name}`, '/nosuchmaster');
    await assert.rejects(createRedisEngine(wrong), {
      code: 'unavailable',
      message: /knows no master named "nosuchmaster"/,
    });
    // Nothing listens there: refused at once, well within even a short timeout.
    await assert.rejects(createRedisEngine(`redis+sentinel://127.0.0.1:${await freePort()}/x?timeout=300`), {
      code: 'unavailable',
    });
  });

  it('follows a SENTINEL FAILOVER: publishes go to the new master, subscribers get everything acknowledged', async (t) => {
    const a = await engine(set.url());
    const b = await engine(set.url());
    const rec = new Recorder();
    await b.broker.start(rec);
    await b.broker.subscribe('moved');
    const acked: Publication[] = [];
    for (let i = 1; i <= 3; i++) acked.push((await a.broker.publish('moved', String(i), opts)).publication);
    await awaitArrivals({
      who: 'node b, before the failover',
      expected: acked,
      received: () => rec.on('moved'),
      limitMs: timeoutMs,
    });
    await set.replicated(); // replication is asynchronous: what the old master has not passed on is lost
    const next = await set.failover();
    await until(
      () => allOn(next.port),
      () => `every engine on the new master (port ${next.port}): ${engineStates()}`,
      FOLLOW_MS,
    );
    for (let i = 4; i <= 6; i++) acked.push((await a.broker.publish('moved', String(i), opts)).publication);
    const caughtUp = await awaitArrivals({
      who: 'node b, after SENTINEL FAILOVER',
      expected: acked,
      received: () => rec.on('moved'),
      limitMs: CATCH_UP_MS,
      state: engineStates,
      history: () => held(a, 'moved', acked[0]?.epoch),
    });
    t.diagnostic(
      `moved: node b had all ${acked.length} acknowledged ${caughtUp} ms after the last acknowledgement`,
    );
    assert.deepEqual(rec.on('moved'), acked);
    assert.ok(
      acked.every((p) => p.epoch === acked[0]?.epoch),
      'one epoch across the failover',
    );
  });

  it('follows the sentinels when the master is killed: calls fail fast meanwhile, every acknowledged publication arrives', async (t) => {
    const a = await engine(set.url());
    const b = await engine(set.url());
    const rec = new Recorder();
    await b.broker.start(rec);
    await b.broker.subscribe('killed');
    const acked: Publication[] = [];
    for (let i = 1; i <= 3; i++) acked.push((await a.broker.publish('killed', `a${i}`, opts)).publication);
    // The guarantee covers a master that dies once the replica holds what it acknowledged (replication is
    // asynchronous: see replicas.test.ts for what `waitReplicas` changes).
    await set.replicated();
    const killedAt = Date.now();
    const next = await set.killMaster();
    // Publish all through the outage, each attempt with data of its own: it either fails with `unavailable` or is
    // acknowledged. A refused attempt may still have been applied (its reply lost with the connection).
    const refused = new Map<string, string>();
    let attempts = 3;
    let firstAckAt = 0;
    await untilAsync(
      async () => {
        const data = `a${++attempts}`;
        try {
          acked.push((await a.broker.publish('killed', data, opts)).publication);
          firstAckAt ||= Date.now();
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'unavailable', String(err));
          refused.set(data, (err as Error).message);
        }
        return acked.length >= 8;
      },
      () => `publishes to succeed again (${acked.length} acknowledged, ${refused.size} refused)`,
      PROMOTION_MS + FOLLOW_MS,
    );
    const lastAckAt = Date.now();
    assert.ok(refused.size > 0, 'publishes were refused while there was no master');
    await set.promoted(next);
    await awaitArrivals({
      who: 'node b, after the master was killed',
      expected: acked,
      received: () => rec.on('killed'),
      limitMs: CATCH_UP_MS,
      state: engineStates,
      history: () => held(a, 'killed', acked[0]?.epoch),
    });
    const caughtUp = Date.now() - lastAckAt;
    // Node b has exactly what the new master holds, in order: the acknowledged ones, and refused attempts that
    // were applied all the same, nothing else.
    const stream = await a.history.read('killed', {
      since: { epoch: acked[0]?.epoch ?? '', offset: 0 },
      limit: 1_000,
    });
    const seen = (ps: readonly Publication[]) => ps.map((p) => `${p.offset}(${p.data})`).join(',');
    assert.deepEqual(
      rec.on('killed'),
      stream.publications,
      `node b received ${seen(rec.on('killed'))}; the new master holds ${seen(stream.publications)}`,
    );
    const ackedData = new Set(acked.map((p) => p.data));
    const applied = stream.publications.filter((p) => !ackedData.has(p.data));
    assert.deepEqual(
      applied.filter((p) => !refused.has(p.data)),
      [],
      `publications neither acknowledged nor refused: acknowledged ${seen(acked)}`,
    );
    assert.deepEqual(
      stream.publications.map((p) => p.offset),
      stream.publications.map((_, i) => i + 1),
      'offsets dense',
    );
    const reasons = new Map<string, number>();
    for (const m of refused.values()) reasons.set(m, (reasons.get(m) ?? 0) + 1);
    t.diagnostic(
      `killed: ${refused.size} publishes refused (${[...reasons].map(([m, n]) => `${n}× ${m}`).join('; ')}), ` +
        `${applied.length} of them applied all the same; publishing resumed ${firstAckAt - killedAt} ms after the kill; ` +
        `node b had all ${acked.length} acknowledged ${caughtUp} ms after the last acknowledgement`,
    );
  });
});
