import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REDIS_DEFAULTS } from '@switchboard/engine-redis';
import { RedisClusterSet } from '@switchboard/test-helpers/redis-cluster';
import { catchUpMs, deliveryMs, type RedisTiming } from '@switchboard/test-helpers/redis-timing';
import { HubProcess } from '../helpers/hub-process.ts';
import { ClusterSubscriber, publishMany, type Seen } from './subscribers.ts';

/** The nodes' engine settings (in their URL). */
// The default `timeout` (a node starting on a loaded machine can take over a second to connect), and a short
// `reconnectMax`.
const ENGINE: RedisTiming = { timeoutMs: REDIS_DEFAULTS.timeoutMs, reconnectMaxMs: 200 };

const positions = (seen: readonly Seen[]) =>
  seen.map((s) => `${s.epoch}:${s.offset}:${JSON.stringify(s.data)}`);

/**
 * Two real hub nodes (`switchboard serve --engine redis+cluster://…`) over a real three-master Redis Cluster:
 * channels on every master, published through one node, received on the other over WebSocket and SSE with the
 * positions the publishes were acknowledged with; then every pub/sub connection killed again and again while
 * publishing, and nothing published after: nothing acknowledged is lost.
 */
describe('cluster: two hub nodes over a Redis Cluster', () => {
  let set: RedisClusterSet;
  let a: HubProcess;
  let b: HubProcess;
  const clients: ClusterSubscriber[] = [];
  const channels = ['rc:one', 'rc:two', 'rc:three', 'rc:four', 'rc:five', 'rc:six'];

  before(async () => {
    set = await RedisClusterSet.start();
    const url = set.url(`?timeout=${ENGINE.timeoutMs}&reconnectMax=${ENGINE.reconnectMaxMs}`);
    [a, b] = await Promise.all([HubProcess.start(url), HubProcess.start(url)]);
  });
  after(async () => {
    for (const s of clients) await s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await set?.stop();
  });

  it('fans out across nodes on channels of every master, and loses nothing when pub/sub connections die', async () => {
    const owners = new Set(await Promise.all(channels.map((c) => set.ownerOf(`sb:{${c}}:meta`))));
    assert.equal(owners.size, 3, 'the channels live on all three masters');
    const subs = [];
    for (const c of channels) {
      subs.push(await ClusterSubscriber.open('ws', b, c), await ClusterSubscriber.open('sse', b, c));
    }
    clients.push(...subs);
    const acked = new Map<string, Seen[]>();
    for (const c of channels) acked.set(c, await publishMany(a, c, 5));
    const of = (s: ClusterSubscriber) => acked.get(s.channel) ?? [];
    for (const s of subs)
      assert.deepEqual(positions(await s.waitFor(of(s), deliveryMs(ENGINE), b)), positions(of(s)), s.kind);
    const calm = await set.storm();
    for (const c of channels) acked.get(c)?.push(...(await publishMany(a, c, 5, 5)));
    assert.ok((await calm()) > 0, 'pub/sub connections killed');
    // Nothing is published after the storm: each node catches up once its connections are back.
    for (const s of subs)
      assert.deepEqual(positions(await s.waitFor(of(s), catchUpMs(ENGINE), b)), positions(of(s)), s.kind);
  });
});
