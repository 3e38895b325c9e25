import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Engine, PublishOptions } from '@switchboard/engine-kit';
import { engineConformance, Recorder } from '@switchboard/engine-kit/conformance';
import { until } from '@switchboard/test-helpers/wait';
import { createMemoryEngine, MAX_IDEMPOTENCY_KEYS, MemoryCluster, type MemoryEngine } from './index.ts';

const conformanceCluster = new MemoryCluster();
const conformanceNodes: MemoryEngine[] = [];
engineConformance('memory', {
  async createNodes(n: number): Promise<Engine[]> {
    const nodes = Array.from({ length: n }, () => createMemoryEngine({ cluster: conformanceCluster }));
    conformanceNodes.push(...nodes);
    return nodes;
  },
  async cleanup() {},
  // The cluster drops the publication on its way to every node subscribed to the channel.
  async publishUnseen(channel, data, options) {
    for (const node of conformanceNodes)
      if (node.member.channels.has(channel)) conformanceCluster.dropNext(node.member, 1);
    return (await conformanceNodes[0]!.broker.publish(channel, data, options)).publication;
  },
});

const opts: PublishOptions = { history: { size: 10, ttlMs: 60_000, metaTtlMs: 60_000 } };

describe('memory engine', () => {
  it('publishes to many channels in one call, as one publish each, with each result or error in its place', async () => {
    const engine = createMemoryEngine();
    const got: string[] = [];
    await engine.broker.start({
      onPublication: (p) => got.push(`${p.channel}@${p.offset}:${p.data}`),
      onJoin() {},
      onLeave() {},
      onResync() {},
    });
    await engine.broker.subscribe('a');
    await engine.broker.subscribe('b');
    await engine.broker.publish('b', '0', opts);
    const keyed: PublishOptions = { ...opts, idempotencyKey: 'k' };
    const first = await engine.broker.publishMany!(['a', 'b', 'c'], '1', [opts, keyed, opts]);
    assert.deepEqual(
      first.map((r) => (r instanceof Error ? r : [r.publication.channel, r.publication.offset, r.duplicate])),
      [
        ['a', 1, false],
        ['b', 2, false],
        ['c', 1, false],
      ],
    );
    // The key is per channel, as with `publish`: a retry is a duplicate and delivers nothing.
    const again = await engine.broker.publishMany!(['b', 'a'], '2', [keyed, keyed]);
    assert.deepEqual(
      again.map((r) => (r instanceof Error ? r : [r.publication.offset, r.duplicate])),
      [
        [2, true],
        [2, false],
      ],
    );
    assert.deepEqual(got, ['b@1:0', 'a@1:1', 'b@2:1', 'a@2:2']);
    assert.deepEqual(
      (await engine.history.read('a', {})).publications.map((p) => p.data),
      ['1', '2'],
    );
    // Unreachable: every channel's result is its error, the call itself does not reject.
    engine.cluster.setAvailable(false);
    const failed = await engine.broker.publishMany!(['a', 'b'], '3', [opts, opts]);
    assert.equal(failed.length, 2);
    for (const r of failed) assert.ok(r instanceof Error && /unavailable/.test(r.message));
    engine.cluster.setAvailable(true);
    await engine.close();
    await assert.rejects(engine.broker.publishMany!(['a'], '4', [opts]), /closed/);
  });

  it('starts every channel in a new epoch after a restart (history lost)', async () => {
    const before = createMemoryEngine();
    const p = await before.broker.publish('c', '1', opts);
    await before.close();
    const after = createMemoryEngine();
    const top = await after.history.top('c');
    assert.notEqual(top.epoch, p.publication.epoch);
    const r = await after.history.read('c', { since: { epoch: p.publication.epoch, offset: 1 } });
    assert.equal(r.recovered, false);
    await after.close();
  });

  it('can make one node miss deliveries, as a broken broker connection would; the node fills them from history', async () => {
    const cluster = new MemoryCluster();
    const a = createMemoryEngine({ cluster });
    const rec = new Recorder();
    await a.broker.start(rec);
    await a.broker.subscribe('c');
    cluster.dropNext(a.member, 2);
    await a.broker.publish('c', '1', opts);
    await a.broker.publish('c', '2', opts);
    assert.equal(rec.publications.length, 0, 'both deliveries were dropped');
    for (let i = 3; i <= 4; i++) await a.broker.publish('c', String(i), opts);
    await until(
      () => rec.publications.length === 4,
      () => `got ${rec.publications.map((p) => p.offset)}`,
    );
    assert.deepEqual(
      rec.publications.map((p) => p.offset),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      rec.resyncs.map(([, r]) => [r.cause, r.recovered]),
      [['gap', true]],
    );
    await a.close();
  });

  it('rejects every call with `unavailable` while the backend is down, and recovers', async () => {
    const cluster = new MemoryCluster();
    const a = createMemoryEngine({ cluster });
    await a.broker.start(new Recorder());
    cluster.setAvailable(false);
    assert.equal(a.ready(), false);
    await assert.rejects(a.broker.publish('c', '1', opts), { code: 'unavailable' });
    await assert.rejects(a.history.top('c'), { code: 'unavailable' });
    await assert.rejects(a.presence.list('c'), { code: 'unavailable' });
    cluster.setAvailable(true);
    assert.equal((await a.broker.publish('c', '1', opts)).publication.offset, 1);
    await a.close();
    await assert.rejects(a.history.top('c'), { code: 'unavailable' });
  });

  it('bounds the idempotency keys it remembers', async () => {
    const cluster = new MemoryCluster();
    const a = createMemoryEngine({ cluster });
    const small: PublishOptions = {
      history: { size: 0, ttlMs: 1, metaTtlMs: 60_000 },
      idempotencyTtlMs: 60_000,
    };
    for (let i = 0; i < MAX_IDEMPOTENCY_KEYS + 10; i++) {
      await a.broker.publish('c', '1', { ...small, idempotencyKey: `k${i}` });
    }
    assert.equal(cluster.idempotencyKeyCount, MAX_IDEMPOTENCY_KEYS);
    await a.close();
  });
});
