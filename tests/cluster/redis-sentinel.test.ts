import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cli, RedisSentinelSet } from '@switchboard/test-helpers/redis-sentinel';
import { untilAsync } from '@switchboard/test-helpers/wait';
import { HubProcess } from '../helpers/hub-process.ts';
import { ClusterSubscriber, publishMany, type Seen } from './subscribers.ts';

const positions = (seen: readonly Seen[]) =>
  seen.map((s) => `${s.epoch}:${s.offset}:${JSON.stringify(s.data)}`);

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
    const url = set.url('?timeout=1000&reconnectMax=200');
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
    for (const s of subs) await s.waitFor(10);
    await set.replicated();
    const old = await set.masterPort();
    const next = await set.failover();
    // Both nodes' two connections move to the new master and leave the demoted one.
    await untilAsync(
      async () => (await engineConnections(next.port)) === 4 && (await engineConnections(old)) === 0,
      () => `the hubs' connections on the new master (${a.output}${b.output})`,
      20_000,
    );
    await untilAsync(
      async () => (await a.readyz()) === 200 && (await b.readyz()) === 200,
      () => 'both nodes ready again',
      10_000,
    );
    acked.push(...(await publishMany(a, ch, 10, 10)));
    for (const s of subs) assert.deepEqual(positions(await s.waitFor(20)), positions(acked), s.kind);
    assert.equal(new Set(acked.map((p) => p.epoch)).size, 1, 'one epoch across the failover');
    assert.deepEqual(
      acked.map((p) => p.offset),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });
});
