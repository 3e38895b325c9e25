import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REDIS_DEFAULTS } from '@switchboard/engine-redis';
import { cli, RedisSentinelSet } from '@switchboard/test-helpers/redis-sentinel';
import { deliveryMs, type RedisTiming, sentinelCatchUpMs } from '@switchboard/test-helpers/redis-timing';
import { untilAsync } from '@switchboard/test-helpers/wait';
import { followWithinMs } from '../../packages/engine-redis/src/sentinel.ts';
import { HubProcess } from '../helpers/hub-process.ts';
import { ClusterSubscriber, publishMany, type Seen } from './subscribers.ts';

const positions = (seen: readonly Seen[]) =>
  seen.map((s) => `${s.epoch}:${s.offset}:${JSON.stringify(s.data)}`);

/** The nodes' engine settings (in their URL). */
// The default `timeout` (a node starting on a loaded machine can take over a second to connect), and a short
// `reconnectMax`.
const ENGINE: RedisTiming = { timeoutMs: REDIS_DEFAULTS.timeoutMs, reconnectMaxMs: 200 };

/** How many of the hubs' engine connections (named `switchboard…` by the engine) a server holds. */
async function engineConnections(port: number): Promise<number> {
  const list = await cli(port, 'CLIENT', 'LIST');
  return list.filter((line) => / name=switchboard(-sub)? /.test(line)).length;
}

/**
 * Two real hub nodes (`switchboard serve --engine redis+sentinel://…`) over a real Sentinel deployment (one
 * master, one replica, one sentinel): a planned failover moves every node to the new master, and subscribers
 * on one node get everything published through the other, before and after, with one epoch.
 */
describe('cluster: two hub nodes over Redis Sentinel', () => {
  let set: RedisSentinelSet;
  let a: HubProcess;
  let b: HubProcess;
  const clients: ClusterSubscriber[] = [];

  before(async () => {
    set = await RedisSentinelSet.start();
    const url = set.url(`?timeout=${ENGINE.timeoutMs}&reconnectMax=${ENGINE.reconnectMaxMs}`);
    [a, b] = await Promise.all([HubProcess.start(url), HubProcess.start(url)]);
  });
  after(async () => {
    for (const s of clients) await s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await set?.stop();
  });

  it('follows a SENTINEL FAILOVER: nothing acknowledged is lost, positions stay in one epoch', async () => {
    const ch = 'sentinel:failover';
    const subs = [await ClusterSubscriber.open('ws', b, ch), await ClusterSubscriber.open('sse', b, ch)];
    clients.push(...subs);
    const acked = await publishMany(a, ch, 10);
    for (const s of subs) await s.waitFor(acked, deliveryMs(ENGINE), b);
    await set.replicated();
    const old = await set.masterPort();
    const next = await set.failover();
    // Both nodes' two connections move to the new master and leave the demoted one.
    let onNew = 0;
    let onOld = 0;
    await untilAsync(
      async () => {
        [onNew, onOld] = [await engineConnections(next.port), await engineConnections(old)];
        return onNew === 4 && onOld === 0;
      },
      () =>
        `the hubs' 4 connections on the new master (port ${next.port}), none on the old (port ${old}): ` +
        `saw ${onNew} and ${onOld}; node A said: ${a.output.slice(-1_500)}; node B said: ${b.output.slice(-1_500)}`,
      followWithinMs(ENGINE),
    );
    let ready: number[] = [];
    await untilAsync(
      async () => {
        ready = [await a.readyz(), await b.readyz()];
        return ready.every((r) => r === 200);
      },
      () => `both nodes ready again, /readyz answers ${ready.join(' and ')}`,
      followWithinMs(ENGINE),
    );
    acked.push(...(await publishMany(a, ch, 10, 10)));
    for (const s of subs)
      assert.deepEqual(
        positions(await s.waitFor(acked, sentinelCatchUpMs(ENGINE, followWithinMs(ENGINE)), b)),
        positions(acked),
        s.kind,
      );
    assert.equal(new Set(acked.map((p) => p.epoch)).size, 1, 'one epoch across the failover');
    assert.deepEqual(
      acked.map((p) => p.offset),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });
});
