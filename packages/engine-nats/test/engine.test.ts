import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Engine, Publication, PublishOptions } from '@switchboard/engine-kit';
import { engineConformance, Recorder } from '@switchboard/engine-kit/conformance';
import { awaitArrivals } from '@switchboard/test-helpers/arrivals';
import { NatsServer } from '@switchboard/test-helpers/nats-server';
import {
  catchUpMs,
  deliveryMs,
  type NatsTiming,
  noticeMs,
  reconnectMs,
} from '@switchboard/test-helpers/nats-timing';
import { until } from '@switchboard/test-helpers/wait';
import type { JetStreamHistory } from '../src/history.ts';
import { createNatsEngine, NATS_DEFAULTS, type NatsEngine } from '../src/index.ts';

// Started on first use, so a run that filters the suite out starts (and leaves) no server.
let conformanceServer: Promise<NatsServer> | undefined;
const opened: Engine[] = [];
let appender: Promise<NatsEngine> | undefined;

engineConformance('nats', {
  async createNodes(n: number): Promise<Engine[]> {
    conformanceServer ??= NatsServer.start();
    const server = await conformanceServer;
    const engines = await Promise.all(
      Array.from({ length: n }, () => createNatsEngine(`${server.url}?prefix=conf&timeout=3s`)),
    );
    opened.push(...engines);
    return engines;
  },
  // Appended to JetStream by another node as its publish does, without the live message that follows: what a
  // message core NATS lost looks like to the nodes.
  async publishUnseen(channel, data, options) {
    appender ??= (async () => {
      const engine = await createNatsEngine(`${(await conformanceServer!).url}?prefix=conf&timeout=3s`);
      opened.push(engine);
      return engine;
    })();
    const history = (await appender).history as JetStreamHistory;
    return history.append(channel, data, options.history, options.info);
  },
  async cleanup() {
    for (const e of opened) await e.close();
    await (await conformanceServer)?.destroy();
  },
});

const opts: PublishOptions = { history: { size: 100, ttlMs: 60_000, metaTtlMs: 3_600_000 } };

/** The engine's timings with the URL's `timeout` and `reconnectWait` (test-helpers/src/nats-timing.ts). */
const timing = (timeoutMs: number, reconnectWaitMs: number): NatsTiming => ({
  ...NATS_DEFAULTS,
  timeoutMs,
  reconnectWaitMs,
});
const QUICK = timing(1_000, 50);

/**
 * Runs `op` until it succeeds, while the engine settles after a broker restart (JetStream can refuse its first
 * requests), for at most `limitMs`; past it the op fails with its last error, so a real failure is reported as
 * itself instead of as the test's time-out.
 */
async function retrying<T>(op: () => Promise<T>, limitMs = catchUpMs(QUICK)): Promise<T> {
  const deadline = Date.now() + limitMs;
  let attempts = 0;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      attempts++;
      if (Date.now() >= deadline) {
        const last =
          err instanceof Error
            ? `${(err as { code?: string }).code ?? err.name}: ${err.message}`
            : String(err);
        throw new Error(`still failing after ${attempts} attempts in ${limitMs} ms; last error: ${last}`, {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const publishRetrying = (engine: Engine, channel: string, data: string) =>
  retrying(() => engine.broker.publish(channel, data, opts));

/** Waits until `rec` has every one of `expected` on `channel`; says which are missing, late or lost if not. */
const arrived = (
  who: string,
  rec: Recorder,
  channel: string,
  expected: readonly Publication[],
  limitMs: number,
) => awaitArrivals({ who, expected, received: () => rec.on(channel), limitMs });

describe('nats engine: failures', () => {
  let server: NatsServer;
  const engines: Engine[] = [];
  const engine = async (query: string) => {
    const e = await createNatsEngine(`${server.url}?${query}`);
    engines.push(e);
    return e;
  };
  before(async () => {
    server = await NatsServer.start();
  });
  after(async () => {
    for (const e of engines) await e.close();
    await server.destroy();
  });

  it('makes its stream, and brings an existing one to the limits of its URL', async () => {
    await engine('prefix=limits&maxAge=1h&maxHistory=50');
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const info = async () => (await jsm.streams.info('limits-history')).config;
    assert.equal((await info()).max_age, 3_600_000 * 1_000_000);
    assert.equal((await info()).max_msgs_per_subject, 50);
    assert.deepEqual((await info()).subjects, ['limits.h.>']);
    await engine('prefix=limits&maxAge=2h&maxHistory=70');
    assert.equal((await info()).max_age, 7_200_000 * 1_000_000);
    assert.equal((await info()).max_msgs_per_subject, 70);
    await nc.close();
  });

  it('hands a third node every publication in offset order when two nodes publish one channel at once', async () => {
    const [a, b, c] = [await engine('prefix=race'), await engine('prefix=race'), await engine('prefix=race')];
    const rc = new Recorder();
    await a!.broker.start(new Recorder());
    await b!.broker.start(new Recorder());
    await c!.broker.start(rc);
    await c!.broker.subscribe('race');
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => (i % 2 ? a! : b!).broker.publish('race', String(i), opts)),
    );
    await until(
      () => rc.on('race').length >= 300,
      () => `300 publications, got ${rc.on('race').length}: offsets ${rc.on('race').map((p) => p.offset)}`,
      deliveryMs(NATS_DEFAULTS),
    );
    assert.deepEqual(
      rc.on('race').map((p) => p.offset),
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
  });

  it('refuses to start on a server without JetStream, saying so', async () => {
    const core = await NatsServer.start({ jetstream: false });
    try {
      await assert.rejects(createNatsEngine(core.url), {
        code: 'unavailable',
        message: /has no JetStream: start nats-server with -js/,
      });
    } finally {
      await core.destroy();
    }
  });

  it('refuses to start when NATS is unreachable, with unavailable', async () => {
    const down = await NatsServer.start();
    const url = down.url;
    await down.destroy();
    await assert.rejects(createNatsEngine(`${url}?connectTimeout=300ms`), { code: 'unavailable' });
  });

  it('fails fast while NATS is down and reconnects by itself, keeping the stream and its epoch', async () => {
    const a = await engine('prefix=fail&timeout=1s&reconnectWait=50ms');
    const b = await engine('prefix=fail&timeout=1s&reconnectWait=50ms');
    const rb = new Recorder();
    await a.broker.start(new Recorder());
    await b.broker.start(rb);
    await b.broker.subscribe('down');
    const first = await a.broker.publish('down', '1', opts);
    await arrived('node b', rb, 'down', [first.publication], deliveryMs(QUICK));

    await server.stop();
    await until(
      () => !a.ready() && !b.ready(),
      () => `engines to notice the outage: a ready ${a.ready()}, b ready ${b.ready()}`,
      noticeMs(QUICK),
    );
    // Refused by the fail-fast check ("unreachable"), not after waiting out the timeout ("did not answer").
    const fast = { code: 'unavailable', message: /unreachable/ };
    await assert.rejects(a.broker.publish('down', '2', opts), fast);
    await assert.rejects(a.broker.publish('down', '2', { ...opts, idempotencyKey: 'k' }), fast);
    await assert.rejects(a.broker.subscribe('other'), fast);
    await assert.rejects(a.broker.publishJoin('down', { client: 'x', user: null }), fast);
    await assert.rejects(a.history.top('down'), fast);
    await assert.rejects(a.history.read('down', {}), fast);
    await assert.rejects(a.presence.list('down'), fast);
    await assert.rejects(a.presence.add('down', { client: 'x', user: null }, 1_000), fast);

    await server.restart();
    await until(
      () => a.ready() && b.ready(),
      () => `engines to reconnect: a ready ${a.ready()}, b ready ${b.ready()}`,
      reconnectMs(QUICK),
    );
    const second = await publishRetrying(a, 'down', '3');
    assert.equal(second.publication.epoch, first.publication.epoch, 'the stream survived: same epoch');
    assert.equal(second.publication.offset, 2);
    await arrived(
      'node b, after the restart',
      rb,
      'down',
      [first.publication, second.publication],
      catchUpMs(QUICK),
    );
  });

  it('catches up after a reconnect on publications it never saw live', async () => {
    const a = await engine('prefix=catch&timeout=1s&reconnectWait=50ms');
    const b = await engine('prefix=catch&timeout=1s&reconnectWait=2s');
    const rb = new Recorder();
    await a.broker.start(new Recorder());
    await b.broker.start(rb);
    await b.broker.subscribe('c');
    const acked = [(await a.broker.publish('c', '1', opts)).publication];
    await arrived('node b', rb, 'c', acked, deliveryMs(QUICK));
    await server.stop();
    await server.restart();
    // A reconnects first (short wait); B is still away while A publishes.
    await until(
      () => a.ready(),
      () => 'A to reconnect',
      reconnectMs(QUICK),
    );
    for (let i = 2; i <= 4; i++) acked.push((await publishRetrying(a, 'c', String(i))).publication);
    assert.equal(b.ready(), false, 'B was still away while A published');
    const slow = timing(1_000, 2_000);
    await until(
      () => b.ready(),
      () => 'B to reconnect',
      reconnectMs(slow),
    );
    await arrived('node b, after reconnecting', rb, 'c', acked, catchUpMs(slow));
    assert.deepEqual(
      rb.on('c').map((p) => p.offset),
      [1, 2, 3, 4],
    );
  });

  it('starts a new epoch when the broker lost its store, and makes its stream and buckets again', async () => {
    const a = await engine('prefix=lost&timeout=1s&reconnectWait=50ms');
    const b = await engine('prefix=lost&timeout=1s&reconnectWait=50ms&presenceMaxAge=10m');
    const rb = new Recorder();
    await a.broker.start(new Recorder());
    await b.broker.start(rb);
    await b.broker.subscribe('l');
    const before = await a.broker.publish('l', '1', opts);
    await arrived('node b', rb, 'l', [before.publication], deliveryMs(QUICK));
    await server.stop();
    server.wipe();
    await server.restart();
    await until(
      () => a.ready() && b.ready(),
      () => `engines to reconnect: a ready ${a.ready()}, b ready ${b.ready()}`,
      reconnectMs(QUICK),
    );
    const after = await publishRetrying(a, 'l', '2');
    assert.notEqual(after.publication.epoch, before.publication.epoch);
    assert.equal(after.publication.offset, 1);
    await arrived(
      'node b, in the new epoch',
      rb,
      'l',
      [before.publication, after.publication],
      catchUpMs(QUICK),
    );
    const r = await b.history.read('l', { since: { epoch: before.publication.epoch, offset: 1 } });
    assert.equal(r.recovered, false);
    assert.deepEqual(
      r.publications.map((p) => p.data),
      ['2'],
    );
    await retrying(() => b.presence.add('l', { client: 'p', user: null }, 60_000));
    assert.deepEqual(
      (await a.presence.list('l')).map((e) => e.client),
      ['p'],
    );
    // Retried while JetStream settles after the wipe (on a loaded machine its first requests can time out); a
    // retry of a publish that did land comes back as a duplicate of it, which is what is checked next anyway.
    const key = { ...opts, idempotencyKey: 'again', idempotencyTtlMs: 60_000 };
    const first = await retrying(() => a.broker.publish('l', '3', key));
    const again = await retrying(() => b.broker.publish('l', '3', key));
    assert.equal(again.duplicate, true);
    assert.equal(again.publication.offset, first.publication.offset);
    assert.equal((await b.history.read('l', {})).publications.filter((p) => p.data === '3').length, 1);
  });
});
