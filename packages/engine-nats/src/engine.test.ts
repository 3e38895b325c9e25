import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine, PublishOptions } from '@switchboard/server';
import { engineConformance, Recorder } from '@switchboard/server/engine/conformance';
import { NatsServer } from '../../../tests/helpers/nats-server.ts';
import { until } from '../../../tests/helpers/wait.ts';
import { createNatsEngine } from './index.ts';

const conformanceServer = NatsServer.start();
const opened: Engine[] = [];

engineConformance('nats', {
  async createNodes(n: number): Promise<Engine[]> {
    const server = await conformanceServer;
    const engines = await Promise.all(
      Array.from({ length: n }, () => createNatsEngine(`${server.url}?prefix=conf&timeout=3s`)),
    );
    opened.push(...engines);
    return engines;
  },
  async cleanup() {
    for (const e of opened) await e.close();
    await (await conformanceServer).destroy();
  },
});

const opts: PublishOptions = { history: { size: 100, ttlMs: 60_000, metaTtlMs: 3_600_000 } };

/** Publishes, retrying while the engine's link settles after a broker restart (bounded by the test timeout). */
async function publishRetrying(engine: Engine, channel: string, data: string) {
  for (;;) {
    try {
      return await engine.broker.publish(channel, data, opts);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

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
    await until(
      () => rb.on('down').length === 1,
      () => 'first delivery',
    );

    await server.stop();
    await until(
      () => !a.ready() && !b.ready(),
      () => 'engines notice the outage',
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
      () => 'engines reconnect',
      15_000,
    );
    const second = await publishRetrying(a, 'down', '3');
    assert.equal(second.publication.epoch, first.publication.epoch, 'the stream survived: same epoch');
    assert.equal(second.publication.offset, 2);
    await until(
      () => rb.on('down').length === 2,
      () => `delivery, got ${rb.on('down').length}`,
      10_000,
    );
  });

  it('catches up after a reconnect on publications it never saw live', async () => {
    const a = await engine('prefix=catch&timeout=1s&reconnectWait=50ms');
    const b = await engine('prefix=catch&timeout=1s&reconnectWait=2s');
    const rb = new Recorder();
    await a.broker.start(new Recorder());
    await b.broker.start(rb);
    await b.broker.subscribe('c');
    await a.broker.publish('c', '1', opts);
    await until(
      () => rb.on('c').length === 1,
      () => 'first delivery',
    );
    await server.stop();
    await server.restart();
    // A reconnects first (short wait); B is still away while A publishes.
    await until(
      () => a.ready(),
      () => 'A reconnects',
      15_000,
    );
    for (let i = 2; i <= 4; i++) await publishRetrying(a, 'c', String(i));
    assert.equal(b.ready(), false, 'B was still away while A published');
    await until(
      () => b.ready(),
      () => 'B reconnects',
      15_000,
    );
    await until(
      () => rb.on('c').length === 4,
      () => `B caught up: ${rb.on('c').map((p) => p.offset)}`,
      10_000,
    );
    assert.deepEqual(
      rb.on('c').map((p) => p.offset),
      [1, 2, 3, 4],
    );
  });
});
