import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PublishOptions, SEQUENCER_DEFAULTS } from '@switchboard/engine-kit';
import { Recorder } from '@switchboard/engine-kit/conformance';
import { cli } from '@switchboard/test-helpers/redis-sentinel';
import { RedisServer } from '@switchboard/test-helpers/redis-server';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import { createRedisEngine, type RedisEngine } from '../src/index.ts';

// The limits of the Redis engine's delivery (its Sequencer, with the limits every engine runs with), reached
// against a real redis-server. Each node connects as its own Redis user, so the test can take node B's
// connections away (or B's right to read history) and give them back with Redis's own ACLs while node A goes on
// publishing. The default user is off: a connection whose AUTH fails stays unauthenticated, and cannot slip in
// as `default` to subscribe. Each test's node B is a user of its own: the engines of earlier tests stay connected
// until the end, and what a test does to "B's connection" must reach its own B and no other.
const opts: PublishOptions = { history: { size: 20_000, ttlMs: 600_000, metaTtlMs: 600_000 } };
const PASSWORD = 'limits-test-password';

describe('redis engine: delivery limits', () => {
  let redis: RedisServer;
  const engines: RedisEngine[] = [];
  const engine = async (url: string) => {
    const e = await createRedisEngine(url);
    engines.push(e);
    return e;
  };
  const url = (user: string, query = '') => `redis://${user}:${PASSWORD}@127.0.0.1:${redis.port}${query}`;
  /** This test's node B user. */
  let bUser = '';
  /** Makes a user for this test's node B, with every right; `acl` and the connection helpers act on it. */
  const newB = async (name: string): Promise<string> => {
    bUser = `node-b-${name}`;
    assert.deepEqual(await admin('ACL', 'SETUSER', bUser, 'on', `>${PASSWORD}`, '~*', '&*', '+@all'), ['OK']);
    return bUser;
  };
  /** One command as the test's own user; the reply's lines. */
  const admin = (...args: string[]) =>
    cli(redis.port, '--user', 'admin', '--pass', PASSWORD, '--no-auth-warning', ...args);
  const acl = async (...rules: string[]) => {
    assert.deepEqual(await admin('ACL', 'SETUSER', bUser, ...rules), ['OK']);
  };
  /** Kills B's subscriber connection; resolves with the id it had. */
  const killSubscriber = async (): Promise<string> => {
    const id = (await subscriberOfB())?.id;
    assert.ok(id !== undefined, 'B has a subscriber connection');
    assert.deepEqual(await admin('CLIENT', 'KILL', 'ID', id), ['1']);
    return id;
  };
  /** History reads (scripts) Redis refused so far: B's, while its rights are taken away. */
  const refusedScripts = async (): Promise<number> => {
    const stats = (await admin('INFO', 'commandstats')).find((l) => l.startsWith('cmdstat_evalsha:'));
    return Number(/rejected_calls=(\d+)/.exec(stats ?? '')?.[1] ?? 0);
  };
  /** B's subscriber connection, as `CLIENT LIST` shows it, if it is connected and subscribed. */
  const subscriberOfB = async () => {
    for (const line of await admin('CLIENT', 'LIST', 'TYPE', 'pubsub')) {
      const fields = Object.fromEntries(line.split(' ').map((f) => f.split('=') as [string, string]));
      if (fields.user === bUser && fields.ssub !== '0') return { id: fields.id! };
    }
    return undefined;
  };
  /**
   * Publishes `count` publications from `a`, fifty in flight at a time: each is bounded by the engine's timeout,
   * and the last of a deeper batch waits for all before it, which a starved machine can stretch past it.
   */
  const publish = async (a: RedisEngine, channel: string, count: number) => {
    for (let done = 0; done < count; ) {
      const n = Math.min(50, count - done);
      await Promise.all(
        Array.from({ length: n }, (_, i) => a.broker.publish(channel, String(done + i), opts)),
      );
      done += n;
    }
  };
  const offsets = (rec: Recorder, channel: string) => rec.on(channel).map((p) => p.offset);
  const dense = (rec: Recorder, channel: string, top: number) => {
    const got = offsets(rec, channel);
    assert.equal(got.length, top, `${got.length} handed on, ${top} published`);
    for (let i = 0; i < got.length; i++)
      if (got[i] !== i + 1) assert.fail(`offset ${got[i]} at position ${i}: not dense and in order`);
  };

  before(async () => {
    redis = await RedisServer.start();
    for (const user of ['admin', 'node-a'])
      assert.equal(await redis.command(`ACL SETUSER ${user} on >${PASSWORD} ~* &* +@all`), '+OK');
    assert.deepEqual(await admin('ACL', 'SETUSER', 'default', 'off'), ['OK']);
  });
  after(async () => {
    for (const e of engines) await e.close();
    await redis.stop();
  });

  it('catches up more than one history batch after its subscriber connection was away, with nothing published after', async () => {
    const a = await engine(url('node-a'));
    const b = await engine(url(await newB('batches'), '?reconnectMax=200'));
    const rec = new Recorder();
    await a.broker.start(new Recorder());
    await b.broker.start(rec);
    await b.broker.subscribe('batches');
    await a.broker.publish('batches', '0', opts);
    await until(
      () => rec.on('batches').length === 1,
      () => 'the first delivery',
    );
    // B may not log in again: its subscriber connection, killed, stays away while A publishes.
    await acl('resetpass', '>another-password');
    const missed = 2 * SEQUENCER_DEFAULTS.batch + 234;
    try {
      await killSubscriber();
      await publish(a, 'batches', missed);
      assert.equal(await subscriberOfB(), undefined, 'B stayed away');
      assert.deepEqual(offsets(rec, 'batches'), [1], 'nothing reached B while it was away');
    } finally {
      await acl('resetpass', `>${PASSWORD}`);
    }
    await until(
      () => rec.on('batches').length >= missed + 1 && rec.resyncs.length > 0,
      () => `B caught up ${rec.on('batches').length} of ${missed + 1}`,
      30_000,
    );
    dense(rec, 'batches', missed + 1);
    const resyncs = rec.resyncs.filter(([c]) => c === 'batches').map(([, r]) => r);
    assert.deepEqual(
      resyncs.map((r) => [r.cause, r.recovered, r.overflowed]),
      [['reconnect', true, false]],
    );
  });

  it('overflows its queue at its maximum while history cannot be read, then reads everything it dropped', async () => {
    const a = await engine(url('node-a'));
    const b = await engine(url(await newB('overflow')));
    const rec = new Recorder();
    await a.broker.start(new Recorder());
    await b.broker.start(rec);
    await b.broker.subscribe('overflow');
    await a.broker.publish('overflow', '0', opts);
    await until(
      () => rec.on('overflow').length === 1,
      () => 'the first delivery',
    );
    // B's history reads (scripts) are refused; its subscriber connection comes back at once and receives live.
    const max = SEQUENCER_DEFAULTS.maxQueued;
    await acl('-eval', '-evalsha');
    try {
      const refusedBefore = await refusedScripts();
      const old = await killSubscriber();
      await untilAsync(
        async () => {
          const now = await subscriberOfB();
          return now !== undefined && now.id !== old && (await refusedScripts()) > refusedBefore;
        },
        () => 'B subscribed again, and its catch-up refused a history read',
      );
      // B's catch-up cannot read history, so what arrives live is held: one more than the queue holds.
      await publish(a, 'overflow', max + 1);
      assert.equal(rec.on('overflow').length, 1, 'nothing handed on while history cannot be read');
    } finally {
      await acl('+eval', '+evalsha');
    }
    await until(
      () => rec.on('overflow').length >= max + 2 && rec.resyncs.some(([, r]) => r.overflowed),
      () => `B caught up ${rec.on('overflow').length} of ${max + 2}`,
      60_000,
    );
    dense(rec, 'overflow', max + 2);
    const resyncs = rec.resyncs.filter(([c]) => c === 'overflow').map(([, r]) => r);
    assert.ok(
      resyncs.some((r) => r.overflowed && r.recovered),
      `a resync that overflowed and recovered: ${JSON.stringify(resyncs)}`,
    );
    assert.ok(
      resyncs.every((r) => r.recovered),
      'history held everything',
    );
  });
});
