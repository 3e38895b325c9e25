import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freePort, RedisServer } from '@switchboard/test-helpers/redis-server';
import { HubProcess } from '../helpers/hub-process.ts';
import { ClusterSubscriber, publishMany, type Seen } from './subscribers.ts';

const positions = (seen: readonly Seen[]) =>
  seen.map((s) => `${s.epoch}:${s.offset}:${JSON.stringify(s.data)}`);

/**
 * Three real hub nodes (`switchboard serve` processes) over one real redis-server: what an operator runs behind a
 * load balancer, with the failures an operator meets: a node killed, pub/sub connections dropped, Redis
 * restarted with its data lost.
 */
describe('cluster: three hub nodes over Redis', () => {
  let redis: RedisServer;
  let a: HubProcess;
  let b: HubProcess;
  let c: HubProcess;
  const clients: ClusterSubscriber[] = [];
  const channel = (label: string) => `cl:${label}:${randomUUID().slice(0, 6)}`;
  const subscribe = async (kind: 'ws' | 'sse', node: HubProcess, ch: string) => {
    const s = await ClusterSubscriber.open(kind, node, ch);
    clients.push(s);
    return s;
  };

  before(async () => {
    redis = await RedisServer.start();
    const url = `${redis.url}?timeout=1000&reconnectMax=200`;
    [a, b, c] = await Promise.all([
      HubProcess.start(url, ['--history-size', '1000']),
      HubProcess.start(url, ['--history-size', '1000']),
      HubProcess.start(url, ['--history-size', '1000']),
    ]);
  });
  after(async () => {
    for (const s of clients) await s.close();
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await redis?.stop();
  });

  it('delivers a publication made on A to WebSocket and SSE subscribers on B and C with identical positions', async () => {
    const ch = channel('fanout');
    const subs = [
      await subscribe('ws', b, ch),
      await subscribe('sse', b, ch),
      await subscribe('ws', c, ch),
      await subscribe('sse', c, ch),
    ];
    const acked = await publishMany(a, ch, 20);
    for (const s of subs) assert.deepEqual(positions(await s.waitFor(20)), positions(acked), s.kind);
    assert.deepEqual(
      acked.map((p) => p.offset),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    // Presence is the same whichever node is asked.
    const lists = await Promise.all(
      [a, b, c].map(async (n) => {
        const r = await n.api('presence', { channel: ch });
        return (r.body.clients as Array<{ client: string }>).map((x) => x.client).sort();
      }),
    );
    assert.equal(lists[0]!.length, 4);
    assert.deepEqual(lists[1], lists[0]);
    assert.deepEqual(lists[2], lists[0]);
  });

  it('loses nothing when the pub/sub connections are killed mid-stream (CLIENT KILL TYPE pubsub)', async () => {
    const ch = channel('pubsub-kill');
    const subs = [await subscribe('ws', b, ch), await subscribe('sse', c, ch)];
    const acked = await publishMany(a, ch, 20, 0, async (i) => {
      if (i === 9) assert.match(await redis.command('CLIENT KILL TYPE pubsub'), /^:\d+/);
    });
    // Then the last publications go out while the subscriber connections are kept down (killed again and again
    // as they come back), and nothing is published after: catch-up cannot wait for a later publication.
    let storm = true;
    const killing = (async () => {
      while (storm) {
        await redis.command('CLIENT KILL TYPE pubsub');
        await new Promise((r) => setImmediate(r));
      }
    })();
    acked.push(...(await publishMany(a, ch, 10, 20)));
    storm = false;
    await killing;
    for (const s of subs) assert.deepEqual(positions(await s.waitFor(30)), positions(acked), s.kind);
  });

  it('restarting Redis mid-stream: publishes fail fast with 503 unavailable, clients stay connected, every acknowledged publication arrives', async () => {
    const ch = channel('redis-restart');
    const subs = [
      await subscribe('ws', b, ch),
      await subscribe('sse', b, ch),
      await subscribe('ws', c, ch),
      await subscribe('sse', c, ch),
    ];
    const acked = await publishMany(a, ch, 10);
    for (const s of subs) await s.waitFor(10);
    await redis.stop();
    // While Redis is down: a fast, coded refusal, and the nodes say they are not ready.
    const started = Date.now();
    const refused = await a.api('publish', { channel: ch, data: 'refused' });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'unavailable');
    assert.ok(Date.now() - started < 5_000, `refused in ${Date.now() - started} ms`);
    assert.equal(await b.readyz(), 503);
    for (const s of subs) assert.equal(s.connected, true, `${s.kind} stayed connected`);
    await redis.restart();
    // Back: publishing resumes (in a new epoch, since this Redis kept nothing) once node A has reconnected; every
    // refusal meanwhile is the same coded 503, never a hang.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await a.api('publish', { channel: ch, data: 'first-after' });
      if (r.status === 200) {
        acked.push({ epoch: r.body.epoch, offset: r.body.offset, data: 'first-after' });
        break;
      }
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.ok(Date.now() < deadline, 'publishing succeeds again after the restart');
      await new Promise((resolve) => setTimeout(resolve, 50)); // retry pause, as a client backs off
    }
    acked.push(...(await publishMany(a, ch, 10, 100)));
    for (const s of subs) {
      const seen = await s.waitFor(acked.length).catch((err: Error) => {
        throw new Error(`${err.message}\nnode B: ${b.output.slice(-3000)}\nnode C: ${c.output.slice(-3000)}`);
      });
      assert.equal(s.connected, true, `${s.kind} stayed connected`);
      assert.deepEqual(positions(seen), positions(acked), s.kind);
    }
    assert.notEqual(acked.at(-1)!.epoch, acked[0]!.epoch, 'Redis lost the stream: a new epoch');
    for (const node of [a, b, c]) {
      const deadline = Date.now() + 10_000;
      while ((await node.readyz()) !== 200) {
        assert.ok(Date.now() < deadline, 'every node is ready again');
        await new Promise((resolve) => setTimeout(resolve, 50)); // poll pause
      }
    }
  });
  it('resumes the clients of node B, killed with SIGKILL, on node C with nothing lost', async () => {
    const ch = channel('sigkill');
    const onB = [await subscribe('ws', b, ch), await subscribe('sse', b, ch)];
    const onC = await subscribe('ws', c, ch);
    const acked = await publishMany(a, ch, 15);
    for (const s of onB) await s.waitFor(15);
    await b.kill();
    for (const s of onB) await s.waitDisconnected();
    // Publishing goes on while the clients are away, then they come back on C.
    acked.push(...(await publishMany(a, ch, 15, 15)));
    for (const s of onB) await s.connect(c);
    acked.push(...(await publishMany(a, ch, 10, 30)));
    for (const s of [...onB, onC]) assert.deepEqual(positions(await s.waitFor(40)), positions(acked), s.kind);
  });

  it('refuses to start on a bad engine URL option or an unreachable Redis, saying why', async () => {
    await assert.rejects(HubProcess.start(`${redis.url}?colour=blue`), /unknown parameter "colour"/);
    const nobody = `redis://127.0.0.1:${await freePort()}?timeout=300`;
    await assert.rejects(HubProcess.start(nobody), /cannot reach Redis within 300 ms/);
  });
});
