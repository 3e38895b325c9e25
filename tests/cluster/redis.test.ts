import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { REDIS_DEFAULTS } from '@switchboard/engine-redis';
import { freePort, RedisServer } from '@switchboard/test-helpers/redis-server';
import { catchUpMs, deliveryMs, type RedisTiming, reconnectMs } from '@switchboard/test-helpers/redis-timing';
import { untilAsync } from '@switchboard/test-helpers/wait';
import { HubProcess } from '../helpers/hub-process.ts';
import { ClusterSubscriber, publishMany, type Seen } from './subscribers.ts';

/** The nodes' engine settings (in their URL). */
// The default `timeout` (a node starting on a loaded machine can take over a second to connect), and a short
// `reconnectMax`.
const ENGINE: RedisTiming = { timeoutMs: REDIS_DEFAULTS.timeoutMs, reconnectMaxMs: 200 };
/** A node killed with SIGKILL: the kernel closes its sockets, so its clients see the close as they next read. */
const CLOSE_SEEN_MS = ENGINE.timeoutMs;

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
    const url = `${redis.url}?timeout=${ENGINE.timeoutMs}&reconnectMax=${ENGINE.reconnectMaxMs}`;
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
    for (const s of subs)
      assert.deepEqual(positions(await s.waitFor(acked, deliveryMs(ENGINE))), positions(acked), s.kind);
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
    for (const s of subs)
      assert.deepEqual(positions(await s.waitFor(acked, catchUpMs(ENGINE))), positions(acked), s.kind);
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
    for (const s of subs) await s.waitFor(acked, deliveryMs(ENGINE));
    await redis.stop();
    // While Redis is down: a coded refusal at once (the connection is known to be down: no command is sent and
    // left to time out), and the nodes say they are not ready.
    const refused = await a.api('publish', { channel: ch, data: 'refused' });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'unavailable');
    assert.doesNotMatch(
      refused.body.error.message,
      /did not answer/,
      'refused at once, not after the timeout',
    );
    assert.equal(await b.readyz(), 503);
    for (const s of subs) assert.equal(s.connected, true, `${s.kind} stayed connected`);
    await redis.restart();
    // Back: publishing resumes (in a new epoch, since this Redis kept nothing) once node A has reconnected; every
    // refusal meanwhile is the same coded 503, never a hang.
    let last: { status: number; body: unknown } | undefined;
    await untilAsync(
      async () => {
        const r = await a.api('publish', { channel: ch, data: 'first-after' });
        last = r;
        if (r.status !== 200) {
          assert.equal(r.status, 503, JSON.stringify(r.body));
          return false;
        }
        acked.push({ epoch: r.body.epoch, offset: r.body.offset, data: 'first-after' });
        return true;
      },
      () => `publishing to succeed again after the restart, last answer ${JSON.stringify(last)}`,
      reconnectMs(ENGINE),
    );
    acked.push(...(await publishMany(a, ch, 10, 100)));
    for (const s of subs) {
      const seen = await s.waitFor(acked, catchUpMs(ENGINE), s === subs[0] || s === subs[1] ? b : c);
      assert.equal(s.connected, true, `${s.kind} stayed connected`);
      assert.deepEqual(positions(seen), positions(acked), s.kind);
    }
    assert.notEqual(acked.at(-1)!.epoch, acked[0]!.epoch, 'Redis lost the stream: a new epoch');
    for (const [name, node] of [
      ['A', a],
      ['B', b],
      ['C', c],
    ] as const) {
      let status = 0;
      await untilAsync(
        async () => {
          status = await node.readyz();
          return status === 200;
        },
        () => `node ${name} ready again, /readyz answers ${status}`,
        reconnectMs(ENGINE),
      );
    }
  });
  it('resumes the clients of node B, killed with SIGKILL, on node C with nothing lost', async () => {
    const ch = channel('sigkill');
    const onB = [await subscribe('ws', b, ch), await subscribe('sse', b, ch)];
    const onC = await subscribe('ws', c, ch);
    const acked = await publishMany(a, ch, 15);
    for (const s of onB) await s.waitFor(acked, deliveryMs(ENGINE), b);
    await b.kill();
    for (const s of onB) await s.waitDisconnected(CLOSE_SEEN_MS);
    // Publishing goes on while the clients are away, then they come back on C.
    acked.push(...(await publishMany(a, ch, 15, 15)));
    for (const s of onB) await s.connect(c);
    acked.push(...(await publishMany(a, ch, 10, 30)));
    for (const s of [...onB, onC])
      assert.deepEqual(positions(await s.waitFor(acked, deliveryMs(ENGINE), c)), positions(acked), s.kind);
  });

  it('refuses to start on a bad engine URL option or an unreachable Redis, saying why', async () => {
    await assert.rejects(HubProcess.start(`${redis.url}?colour=blue`), /unknown parameter "colour"/);
    const nobody = `redis://127.0.0.1:${await freePort()}?timeout=300`;
    await assert.rejects(HubProcess.start(nobody), /cannot reach Redis within 300 ms/);
  });
});
